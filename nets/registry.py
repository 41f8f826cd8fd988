"""The model registry: name -> everything a binary needs to know about a net.

A family module registers a single model with the `register` decorator, next to
the function it describes:

    @registry.register(arg_scope=lenet_arg_scope, num_classes=1001, preprocessing='lenet',
                       logits_scopes=('LeNet/fc4',), default_image_size=28)
    def lenet(images, num_classes=10, ...):

and a family of variants of one function with a table, `register_variants`:
each row names a model, the arguments fixed for it and the spec fields that
are its own; the fields all rows share are given once:

    VARIANTS = registry.register_variants(mobilenet_v1, {
        'mobilenet_v1': dict(checkpoint='mobilenet_v1_1.0_224.tgz'),
        'mobilenet_v1_075': dict(args={'depth_multiplier': 0.75}, checkpoint=...),
    }, arg_scope=mobilenet_v1_arg_scope, num_classes=1001, ...)

A misspelt spec field or fixed argument fails at registration, naming it.
`get(name)`, `list_models('resnet*')` and TF-Slim's `get_network_fn` read it.
"""

import dataclasses
import difflib
import fnmatch
import functools
import importlib
import inspect
import re
from typing import Any, Callable, Optional

import scopes

# The modules that register models; imported on first use of the registry.
FAMILIES = (
    'nets.alexnet',
    'nets.i3d',
    'nets.cifarnet',
    'nets.inception_resnet_v2',
    'nets.inception_v1',
    'nets.inception_v2',
    'nets.inception_v3',
    'nets.inception_v4',
    'nets.lenet',
    'nets.mobilenet_v1',
    'nets.mobilenet.mobilenet_v2',
    'nets.mobilenet.mobilenet_v3',
    'nets.nasnet.nasnet',
    'nets.nasnet.pnasnet',
    'nets.overfeat',
    'nets.resnet_v1',
    'nets.resnet_v2',
    'nets.s3dg',
    'nets.vgg',
)

_MODELS = {}


class UnknownModelError(ValueError):
  """A model name that is not registered."""


class ScopeParameterError(ValueError):
  """A scope parameter that the model's arg_scope function does not take."""


@dataclasses.dataclass(frozen=True)
class ModelSpec:
  """What a binary needs to know about one registered model.

  Attributes:
    name: the registry name, e.g. 'resnet_v1_50'.
    network_fn: `fn(images, num_classes, is_training, ...) -> (logits, end_points)`;
      for a variant, the family's function with the variant's arguments fixed.
    arg_scope_fn: the model's `*_arg_scope(**params)` factory.
    default_image_size: the input height and width it was trained at.
    num_classes: classes of the official checkpoint (1001 has a background
      class at index 0; 1000 has none).
    preprocessing: name of its preprocessing in `preprocessing.factory`.
    logits_scopes: the classifier scopes (Logits, AuxLogits) to leave out
      when fine-tuning to another number of classes.
    checkpoint: file name of the official TF-Slim checkpoint, or None.
    input_frames: the frames of a video model's [batch, frames, height,
      width, 3] input; None for image models.
    published_top1: the official checkpoint's published ImageNet top-1
      accuracy in percent (TF-Slim's tables), None where none was published.
    published_top5: the same for top-5.
    published_image_size: the input size that accuracy was measured at, with
      `preprocessing`; None: `default_image_size`.
  """
  name: str
  network_fn: Callable[..., Any]
  arg_scope_fn: Callable[..., dict]
  default_image_size: int
  num_classes: int
  preprocessing: str
  logits_scopes: tuple
  checkpoint: Optional[str] = None
  input_frames: Optional[int] = None
  published_top1: Optional[float] = None
  published_top5: Optional[float] = None
  published_image_size: Optional[int] = None

  def input_shape(self, batch=1, size=None):
    """The input shape at `size` (default: the trained size)."""
    size = size or self.default_image_size
    frames = [self.input_frames] if self.input_frames else []
    return [batch] + frames + [size, size, 3]

  @property
  def eval_image_size(self):
    """The input size of the published accuracy (the trained size unless it says)."""
    return self.published_image_size or self.default_image_size

  @property
  def label_offset(self):
    """1 when the checkpoint has no background class: labels of a 1001-class
    dataset (background at 0) are shifted down by one for it."""
    return 1 if self.num_classes == 1000 else 0

  def scope_parameters(self):
    """The names `arg_scope()` accepts."""
    return tuple(inspect.signature(self.arg_scope_fn).parameters)

  def arg_scope(self, **params):
    """The model's scope dict, for `params` checked by name."""
    valid = self.scope_parameters()
    unknown = sorted(set(params) - set(valid))
    if unknown:
      raise ScopeParameterError(
          'unknown scope parameter %s for model %s (%s); valid ones: %s' % (
              ', '.join(repr(u) for u in unknown), self.name,
              self.arg_scope_fn.__name__, ', '.join(valid)))
    scope = scopes.Scope(self.arg_scope_fn(**params))
    scope.origin = '%s(%s)' % (self.arg_scope_fn.__name__, ', '.join(
        '%s=%r' % kv for kv in sorted(params.items())))
    return scope


# The spec fields a module writes: `arg_scope` is ModelSpec's `arg_scope_fn`.
_FIELDS = {'arg_scope': 'arg_scope_fn', 'num_classes': 'num_classes',
           'preprocessing': 'preprocessing', 'logits_scopes': 'logits_scopes',
           'default_image_size': 'default_image_size', 'checkpoint': 'checkpoint',
           'input_frames': 'input_frames', 'published_top1': 'published_top1',
           'published_top5': 'published_top5', 'published_image_size': 'published_image_size'}
_REQUIRED = ('arg_scope', 'num_classes', 'preprocessing', 'logits_scopes',
             'default_image_size')


def register(name=None, **fields):
  """Decorator: registers the network function under `name` (its own name by
  default) with the spec `fields` (`arg_scope`, `num_classes`, `preprocessing`,
  `logits_scopes`, `default_image_size`, and optionally `checkpoint`,
  `input_frames` and the published accuracy: `published_top1`, `published_top5`,
  `published_image_size`). `default_image_size` also becomes the function's attribute,
  as TF-Slim's `fn.default_image_size`."""

  def decorator(fn):
    _add(name or fn.__name__, fn, fields)
    return fn

  return decorator


def register_variants(fn, table, **shared):
  """Registers a family of variants of `fn` from a table.

  Args:
    fn: the family's network function.
    table: {name: row}; a row holds the spec fields of that variant and,
      under 'args', the arguments of `fn` fixed for it (none: `fn` itself).
      '{name}' in a logits scope stands for the row's name.
    **shared: the spec fields of every row (a row's own win).

  Returns:
    {name: the variant's network function}: `functools.partial(fn, **args)`
    named `name`, with `fn`'s docstring and `default_image_size`.
  """
  models = {}
  for name, row in table.items():
    fields = dict(shared, **row)
    args = fields.pop('args', {})
    if 'logits_scopes' in fields:  # else _add names it missing
      fields['logits_scopes'] = tuple(s.format(name=name) for s in fields['logits_scopes'])
    models[name] = _add(name, _fixed(fn, name, args) if args else fn, fields)
  return models


def _fixed(fn, name, args):
  """`fn` with `args` fixed, named `name`; an argument `fn` lacks fails here.

  Its signature is `fn`'s with the fixed arguments as defaults (a caller may
  still give them), less the keyword-only ones `fn` requires: those say which
  variant it is (a VGG configuration, a ResNet depth), as TF-Slim's separate
  functions do by name.
  """
  signature = inspect.signature(fn)
  unknown = sorted(set(args) - set(signature.parameters))
  if unknown:
    raise ValueError('model %r fixes %s, which %s does not take; its arguments: %s' % (
        name, ', '.join(unknown), fn.__name__, ', '.join(signature.parameters)))
  model = functools.partial(fn, **args)
  functools.update_wrapper(model, fn)
  model.__name__ = name
  model.__signature__ = signature.replace(parameters=[
      p.replace(default=args.get(p.name, p.default)) for p in signature.parameters.values()
      if not (p.name in args and p.kind == p.KEYWORD_ONLY and p.default is p.empty)])
  return model


def _add(name, fn, fields):
  problems = []
  unknown = sorted(set(fields) - set(_FIELDS))
  if unknown:
    problems.append('unknown spec field %s' % ', '.join(map(repr, unknown)))
  missing = [f for f in _REQUIRED if f not in fields]
  if missing:
    problems.append('missing %s' % ', '.join(map(repr, missing)))
  if problems:
    raise ValueError('model %r: %s; the spec fields are %s' % (
        name, '; '.join(problems), ', '.join(_FIELDS)))
  if name in _MODELS:
    raise ValueError('model %r is registered twice' % name)
  spec = dict((_FIELDS[k], v) for k, v in fields.items())
  spec['logits_scopes'] = tuple(spec['logits_scopes'])
  _MODELS[name] = ModelSpec(name=name, network_fn=fn, **spec)
  fn.default_image_size = fields['default_image_size']
  return fn


def _load():
  for module in FAMILIES:
    importlib.import_module(module)


def get(name):
  """The `ModelSpec` of `name`; an unknown name lists the closest ones."""
  _load()
  if name not in _MODELS:
    close = difflib.get_close_matches(name, list(_MODELS), n=4, cutoff=0.4)
    hint = ('did you mean %s? ' % ', '.join(close)) if close else ''
    raise UnknownModelError('unknown model %r; %sknown models: %s' % (
        name, hint, ', '.join(sorted(_MODELS))))
  return _MODELS[name]


def list_models(pattern='*'):
  """Names matching a shell pattern, or several separated by commas
  ('resnet_v1*,vgg_16'); 'all' is '*'. Sorted with numbers by value:
  resnet_v1_50 before resnet_v1_101."""
  _load()
  patterns = [p.strip() for p in pattern.split(',') if p.strip()]
  patterns = ['*' if p == 'all' else p for p in patterns] or ['*']
  return sorted((n for n in _MODELS if any(fnmatch.fnmatchcase(n, p) for p in patterns)),
                key=_natural_key)


def _natural_key(name):
  return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def get_network_fn(name, num_classes, weight_decay=0.0, is_training=False,
                   **scope_params):
  """TF-Slim's nets_factory.get_network_fn: `fn(images, **kwargs)` that builds
  the model under its arg_scope and returns `(logits, end_points)`.

  `num_classes` 0 or None leaves the logits layer out: the net returns its
  pre-logits features instead. `is_training` and `num_classes` go to every
  call, other keywords of the net (`spatial_squeeze`, ...) through `kwargs`.
  The scope is entered inside whatever arg_scope the call is made in, as
  TF-Slim's is: defaults set around the call stay unless the model's scope
  sets the same argument. Other scope parameters than `weight_decay`
  (`batch_norm_decay`, ...) may be given by name.
  """
  spec = get(name)
  scope = spec.arg_scope(weight_decay=weight_decay, **scope_params)

  @functools.wraps(spec.network_fn)
  def network_fn(images, **kwargs):
    in_force = scopes.merge(scopes.current_arg_scope(), scope)
    in_force.origin = scope.origin
    with scopes.arg_scope(in_force):
      return spec.network_fn(images, num_classes=num_classes,
                             is_training=is_training, **kwargs)

  network_fn.default_image_size = spec.default_image_size
  return network_fn
