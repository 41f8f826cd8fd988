"""`python -m nets`: what the registered models are and what arg_scope does to them.

    python -m nets list [PATTERN]     models with image size, classes, parameters (M)
                                      and multiply-adds (G), computed from the built graph,
                                      and the official checkpoint's published ImageNet
                                      top-1 and top-5 (%) with the size they were measured at
    python -m nets list --published   the published accuracy alone (builds nothing)
    python -m nets explain MODEL      each layer call in order, with the arguments it
                                      received: those written in the call, and those an
                                      arg_scope supplied, with the scope that supplied them
"""

import argparse
import sys


def _percent(value):
  return '-' if value is None else '%.1f' % value


def _published(spec):
  """top-1, top-5 and the size and preprocessing they were measured with."""
  measured = '-' if spec.published_top1 is None else '%d %s' % (spec.eval_image_size,
                                                                 spec.preprocessing)
  return '%6s %6s  %s' % (_percent(spec.published_top1), _percent(spec.published_top5), measured)


def _list(pattern, published_only=False):
  from nets import analysis
  from nets import registry
  names = registry.list_models(pattern)
  if not names:
    raise ValueError('no model matches %r; known models: %s' % (
        pattern, ', '.join(registry.list_models())))
  accuracy = '%6s %6s  %s' % ('top-1', 'top-5', 'measured at')
  if published_only:
    print('%-32s %s' % ('model', accuracy))
    for name in names:
      print('%-32s %s' % (name, _published(registry.get(name))))
    return
  print('%-24s %5s %8s %11s %14s %s' % ('model', 'size', 'classes', 'params (M)',
                                        'mult-adds (G)', accuracy))
  for name in names:
    row = analysis.summary(name)
    print('%-24s %5d %8d %11.2f %14.2f %s' % (
        name, row['image_size'], row['num_classes'], row['parameters'] / 1e6,
        row['multiply_adds'] / 1e9, _published(registry.get(name))))


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
  listing.add_argument('--published', action='store_true',
                       help="only the official checkpoints' published ImageNet accuracy")
  explaining = commands.add_parser('explain', help='each layer call of a model')
  explaining.add_argument('model')
  args = parser.parse_args(argv)
  try:
    if args.command == 'list':
      _list(args.pattern, args.published)
    else:
      _explain(args.model)
  except ValueError as e:  # unknown model, ...: one line, no traceback
    print('error: %s' % e, file=sys.stderr)
    return 2
  return 0


if __name__ == '__main__':
  sys.exit(main())
