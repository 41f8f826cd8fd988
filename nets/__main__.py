"""`python -m nets`: what the registered models are and what arg_scope does to them.

    python -m nets list [PATTERN]     models with image size, classes, parameters (M)
                                      and multiply-adds (G), computed from the built graph
    python -m nets explain MODEL      each layer call in order, with the arguments it
                                      received: those written in the call, and those an
                                      arg_scope supplied, with the scope that supplied them
"""

import argparse
import sys


def _list(pattern):
  from nets import analysis
  from nets import registry
  names = registry.list_models(pattern)
  if not names:
    raise ValueError('no model matches %r; known models: %s' % (
        pattern, ', '.join(registry.list_models())))
  print('%-24s %5s %8s %11s %14s' % ('model', 'size', 'classes', 'params (M)',
                                     'mult-adds (G)'))
  for name in names:
    row = analysis.summary(name)
    print('%-24s %5d %8d %11.2f %14.2f' % (
        name, row['image_size'], row['num_classes'], row['parameters'] / 1e6,
        row['multiply_adds'] / 1e9))


def _explain(name):
  from nets import analysis
  from nets import registry
  spec = registry.get(name)
  calls = analysis.explain(name)
  print('%s at %dx%d, %d layer calls. "written": in the call; '
        '"scoped": from an arg_scope (<- which one).\n' % (
            name, spec.default_image_size, spec.default_image_size, len(calls)))
  for call in calls:
    indent = '  ' * call.depth
    print('%s%s  %s' % (indent, call.scope or '-', call.op))
    written = '  '.join('%s=%s' % (k, analysis.format_value(v))
                        for k, v in call.written.items())
    print('%s    written  %s' % (indent, written))
    label = 'scoped '
    for arg, (value, origin) in sorted(call.scoped.items()):
      print('%s    %s  %s=%s  <- %s' % (indent, label, arg,
                                        analysis.format_value(value), origin))
      label = '       '


def main(argv=None):
  parser = argparse.ArgumentParser(prog='python -m nets', description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  commands = parser.add_subparsers(dest='command', required=True)
  listing = commands.add_parser('list', help='the registered models')
  listing.add_argument('pattern', nargs='?', default='*',
                       help="shell pattern(s), comma-separated: 'resnet*,vgg_16'")
  explaining = commands.add_parser('explain', help='each layer call of a model')
  explaining.add_argument('model')
  args = parser.parse_args(argv)
  try:
    if args.command == 'list':
      _list(args.pattern)
    else:
      _explain(args.model)
  except ValueError as e:  # unknown model, ...: one line, no traceback
    print('error: %s' % e, file=sys.stderr)
    return 2
  return 0


if __name__ == '__main__':
  sys.exit(main())
