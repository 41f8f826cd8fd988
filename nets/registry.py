"""The model registry: name -> everything a binary needs to know about a net.

Each family module registers its models with the `register` decorator, next to
the function it describes:

    @registry.register(arg_scope=vgg_arg_scope, num_classes=1000,
                       preprocessing='vgg', logits_scopes=('vgg_16/fc8',),
                       checkpoint='vgg_16_2016_08_28.tar.gz')
    def vgg_16(inputs, num_classes=1000, ...):

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
    network_fn: `fn(images, num_classes, is_training, ...) -> (logits, end_points)`.
    arg_scope_fn: the model's `*_arg_scope(**params)` factory.
    default_image_size: the input height and width it was trained at.
    num_classes: classes of the official checkpoint (1001 has a background
      class at index 0; 1000 has none).
    preprocessing: name of its preprocessing in `preprocessing.factory`.
    logits_scopes: the classifier scopes (Logits, AuxLogits) to leave out
      when fine-tuning to another number of classes.
    checkpoint: file name of the official TF-Slim checkpoint, or None.
    network_kwargs: fixed keyword arguments of `network_fn` for this name
      (a depth multiplier, ...).
    input_frames: the frames of a video model's [batch, frames, height,
      width, 3] input; None for image models.
  """
  name: str
  network_fn: Callable[..., Any]
  arg_scope_fn: Callable[..., dict]
  default_image_size: int
  num_classes: int
  preprocessing: str
  logits_scopes: tuple
  checkpoint: Optional[str] = None
  network_kwargs: dict = dataclasses.field(default_factory=dict)
  input_frames: Optional[int] = None

  def input_shape(self, batch=1, size=None):
    """The input shape at `size` (default: the trained size)."""
    size = size or self.default_image_size
    frames = [self.input_frames] if self.input_frames else []
    return [batch] + frames + [size, size, 3]

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


def register(name=None, *, arg_scope, num_classes, preprocessing,
             logits_scopes, checkpoint=None, default_image_size=None,
             input_frames=None, **network_kwargs):
  """Decorator: registers the network function under `name` (its own name by
  default). `default_image_size`, when given, also becomes the function's
  attribute (TF-Slim's `fn.default_image_size`); otherwise it is read from it."""

  def decorator(fn):
    key = name or fn.__name__
    if key in _MODELS:
      raise ValueError('model %r is registered twice' % key)
    if default_image_size:
      fn.default_image_size = default_image_size
    size = getattr(fn, 'default_image_size', None)
    if size is None:
      raise ValueError('model %r has no default_image_size' % key)
    _MODELS[key] = ModelSpec(key, fn, arg_scope, size, num_classes,
                             preprocessing, tuple(logits_scopes), checkpoint,
                             dict(network_kwargs), input_frames)
    return fn

  return decorator


def register_partial(fn, name, fixed, **spec):
  """Registers `functools.partial(fn, **fixed)` as `name` (a depth multiplier,
  a conv-defs table, ...) with `register`'s `spec`; returns the partial, which
  keeps `fn`'s name `name`, docstring and attributes."""
  model = functools.partial(fn, **fixed)
  functools.update_wrapper(model, fn)
  model.__name__ = name
  register(name, **spec)(model)
  return model


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
    call_kwargs = dict(spec.network_kwargs, **kwargs)
    in_force = scopes.merge(scopes.current_arg_scope(), scope)
    in_force.origin = scope.origin
    with scopes.arg_scope(in_force):
      return spec.network_fn(images, num_classes=num_classes,
                             is_training=is_training, **call_kwargs)

  network_fn.default_image_size = spec.default_image_size
  return network_fn
