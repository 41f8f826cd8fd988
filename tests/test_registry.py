"""The registry: names, specs, TF-Slim's get_network_fn, scope parameters."""

import inspect
import os
import re

import pytest
import tensorflow as tf

import nets_reference as ref
import scopes
from nets import registry

# The image classifiers of the families AlexNet, CifarNet, Inception, LeNet, OverFeat,
# ResNet and VGG (MobileNet, NASNet and the video nets have their own test files).
CLASSIC_MODELS = [
    'alexnet_v2', 'cifarnet', 'inception_resnet_v2', 'inception_v1', 'inception_v2',
    'inception_v3', 'inception_v4', 'lenet', 'overfeat',
    'resnet_v1_50', 'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200',
    'resnet_v2_50', 'resnet_v2_101', 'resnet_v2_152', 'resnet_v2_200',
    'vgg_16', 'vgg_19', 'vgg_a']


def test_every_model_is_registered():
  assert set(CLASSIC_MODELS) <= set(registry.list_models())


def test_list_models_patterns():
  assert registry.list_models('resnet_v1*') == [
      'resnet_v1_50', 'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200']
  assert registry.list_models('resnet_v1_5*, vgg_16') == ['resnet_v1_50', 'vgg_16']
  assert registry.list_models('all') == registry.list_models() == registry.list_models('*')
  assert registry.list_models('nothing*') == []


def test_unknown_model_names_the_closest():
  with pytest.raises(registry.UnknownModelError,
                     match=r"unknown model 'resnet_v1_5'; did you mean resnet_v1_50"):
    registry.get('resnet_v1_5')
  with pytest.raises(ValueError, match='known models: alexnet_v2, cifarnet'):
    registry.get('zzz')


@pytest.mark.parametrize('name', CLASSIC_MODELS)
def test_spec_agrees_with_the_official_checkpoint(name):
  spec = registry.get(name)
  manifest = ref.manifest(name)
  assert spec.num_classes == manifest['num_classes']
  assert spec.label_offset == (1 if spec.num_classes == 1000 else 0)
  assert spec.default_image_size == manifest['default_image_size']
  assert spec.preprocessing in ('inception', 'vgg', 'lenet', 'cifarnet')
  official = manifest['official_checkpoint']
  assert spec.checkpoint == (official if official and official.endswith('gz') else None)
  # The logits scopes cover every classifier variable, and each scope holds one
  # (AuxLogits also holds its own conv and batch-norm variables, which go too).
  heads = manifest['logits_layer_variables']
  covered = {v[0] for v in manifest['variables']
             if any(v[0].startswith(s + '/') for s in spec.logits_scopes)}
  assert set(heads) <= covered
  for scope in spec.logits_scopes:
    assert any(v.startswith(scope + '/') for v in heads), scope


def test_get_network_fn_keeps_tf_slims_contract(graph):
  network_fn = registry.get_network_fn('lenet', num_classes=10, weight_decay=0.1,
                                       is_training=True)
  assert network_fn.default_image_size == 28
  logits, end_points = network_fn(tf.zeros([2, 28, 28, 3]))
  assert logits.shape.as_list() == [2, 10]
  assert end_points['Logits'] is logits
  assert end_points['Predictions'].shape.as_list() == [2, 10]
  assert end_points['Predictions'].op.inputs[0].op.type == 'Softmax'  # slim.softmax reshapes
  losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(losses) == 4  # conv1, conv2, fc3, fc4 weights
  assert any(op.type == 'RandomUniform' for op in graph.get_operations())  # dropout


def test_scope_parameters_are_checked_and_reach_the_scope():
  spec = registry.get('inception_v3')
  scope = spec.arg_scope(weight_decay=1e-4, batch_norm_decay=0.9)
  conv = scopes.describe(scope)['slim.conv2d']
  assert conv['weights_regularizer'] == 'l2_regularizer(scale=0.0001)'
  assert conv['normalizer_params']['decay'] == 0.9
  assert scope.origin == 'inception_arg_scope(batch_norm_decay=0.9, weight_decay=0.0001)'
  with pytest.raises(registry.ScopeParameterError,
                     match=r"unknown scope parameter 'batch_norm_momentum' for model "
                           r"inception_v3 \(inception_arg_scope\); valid ones: weight_decay, "):
    spec.arg_scope(batch_norm_momentum=0.9)
  with pytest.raises(registry.ScopeParameterError, match='bogus'):
    registry.get_network_fn('vgg_16', 1000, bogus=1)


def test_inception_family_in_one_import():
  from nets import inception
  from nets import inception_resnet_v2, inception_v3, inception_v4
  assert inception.inception_v3 is inception_v3.inception_v3
  assert inception.inception_v4_base is inception_v4.inception_v4_base
  assert (inception.inception_resnet_v2_arg_scope
          is inception_resnet_v2.inception_resnet_v2_arg_scope)
  assert inception.inception_v1.default_image_size == 224


def test_a_misspelt_spec_field_or_argument_fails_at_registration():
  def net(images, num_classes=10, is_training=True, scope='Net'):
    return images, {}

  fields = dict(arg_scope=lambda: {}, num_classes=10, preprocessing='lenet',
                logits_scopes=('Net/logits',), default_image_size=28)
  with pytest.raises(ValueError, match=r"model 'typo_net': unknown spec field 'chekpoint'; "
                                       r"the spec fields are arg_scope, num_classes"):
    registry.register('typo_net', chekpoint='x.tgz', **fields)(net)
  with pytest.raises(ValueError, match=r"model 'short_net': missing 'default_image_size'"):
    registry.register('short_net', **{k: v for k, v in fields.items()
                                      if k != 'default_image_size'})(net)
  with pytest.raises(ValueError, match=r"model 'wide_net' fixes depth_multiplier, which net does "
                                       r"not take; its arguments: images, num_classes"):
    registry.register_variants(net, {'wide_net': dict(args={'depth_multiplier': 2})}, **fields)
  assert not {'typo_net', 'short_net', 'wide_net'} & set(registry.list_models())


def test_variants_share_one_function_and_keep_tf_slims_signatures():
  from nets import resnet_v1
  from nets import vgg
  spec = registry.get('resnet_v1_101')
  assert spec.network_fn is resnet_v1.resnet_v1_101
  assert spec.network_fn.func is resnet_v1.resnet_v1_standard
  assert spec.logits_scopes == ('resnet_v1_101/logits',)
  params = inspect.signature(resnet_v1.resnet_v1_101).parameters
  assert 'num_layers' not in params and params['scope'].default == 'resnet_v1_101'
  assert vgg.vgg_19.__name__ == 'vgg_19' and vgg.vgg_19.default_image_size == 224
  assert registry.get('mobilenet_v2').network_fn.default_image_size == 224


def test_every_module_that_registers_is_a_family():
  """A module registering models but missing from FAMILIES would register
  nothing until something else imported it."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(registry.__file__)))
  registering = set()
  for folder, _, files in os.walk(os.path.join(root, 'nets')):
    for name in files:
      path = os.path.join(folder, name)
      if (name.endswith('.py') and path != registry.__file__
          and re.search(r'registry\.register', open(path).read())):
        registering.add(os.path.relpath(path, root)[:-3].replace(os.sep, '.'))
  assert registering == set(registry.FAMILIES)
