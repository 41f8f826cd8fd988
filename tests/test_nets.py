"""Every registered model, checked against TF-Slim's official checkpoints.

For each model: variables, end points and logits equal the manifest of the
official checkpoint; a training graph adds only what the manifest says; a
second call with reuse=True shares the weights; the TF2 eager wrapper creates
the same variables and, given the same weights, the same logits as TF1 graph
mode; num_classes=0 gives the pre-logits features. One model is built at a
time (a module-scoped fixture) so memory stays bounded.
"""

import numpy as np
import pytest
import tensorflow as tf

import nets_reference as ref
from engine import Network
from nets import registry

MODELS = registry.list_models()


class Reference:
  """One model built in graph mode, its initial weights and its logits."""

  def __init__(self, name):
    self.name = name
    self.spec = registry.get(name)
    self.manifest = ref.manifest(name)
    self.num_classes = self.manifest['num_classes']
    self.graph, self.inputs, self.logits, self.end_points = ref.build(
        name, self.num_classes)
    self.images = ref.images(ref.input_shape(name))
    with self.graph.as_default(), tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      global_vars = self.graph.get_collection('variables')
      self.values = dict(zip([v.op.name for v in global_vars],
                             sess.run(global_vars), strict=True))
      self.output = sess.run(self.logits, {self.inputs: self.images})
      losses = self.graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
      self.regularization_losses = len(losses)
      self.regularization = sess.run(tf.add_n(losses)) if losses else 0.0


@pytest.fixture(scope='module', params=MODELS)
def model(request):
  return Reference(request.param)


def test_variables_equal_the_official_checkpoint(model):
  expected = sorted(model.manifest['variables'])
  assert ref.variables(model.graph) == expected
  trainable = {v.op.name for v in model.graph.get_collection('trainable_variables')}
  assert set(model.values) - trainable == set(model.manifest['non_trainable_variables'])


def test_end_points_and_logits(model):
  assert ref.static_shape(model.logits) == model.manifest['logits_shape']
  shapes = sorted([k, ref.static_shape(v)] for k, v in model.end_points.items())
  assert shapes == sorted(model.manifest['end_points'])
  assert model.spec.default_image_size == model.manifest['default_image_size']
  assert model.spec.network_fn.default_image_size == model.spec.default_image_size
  assert np.all(np.isfinite(model.output))


def test_training_graph_adds_only_the_listed_variables(model):
  graph = ref.build(model.name, model.num_classes, is_training=True)[0]
  extra = [v for v in ref.variables(graph) if v not in model.manifest['variables']]
  assert extra == sorted(model.manifest['training_graph_only_variables'])


def test_reuse_shares_the_weights(model):
  with model.graph.as_default():
    network_fn = registry.get_network_fn(model.name, model.num_classes,
                                         weight_decay=ref.WEIGHT_DECAY)
    count = len(model.graph.get_collection('variables'))
    logits, _ = network_fn(model.inputs, reuse=True)
    assert len(model.graph.get_collection('variables')) == count
    assert logits.shape.as_list() == model.logits.shape.as_list()


def test_eager_wrapper_matches_graph_mode(model):
  net = Network.from_registry(model.name, num_classes=model.num_classes,
                              scope_params={'weight_decay': ref.WEIGHT_DECAY})
  net(tf.zeros_like(model.images))  # creates the variables
  names = {v.name[:-2]: v for v in net.variables}
  assert set(names) == set(model.values)
  for var_name, value in model.values.items():
    names[var_name].assign(value)
  assert len(net.losses) == model.regularization_losses > 0
  np.testing.assert_allclose(float(tf.add_n(net.losses)), model.regularization, rtol=1e-5)
  logits, end_points = tf.function(lambda x: net(x, training=False))(model.images)
  assert sorted(end_points) == sorted(model.end_points)
  scale = max(1.0, float(np.abs(model.output).max()))
  np.testing.assert_allclose(logits.numpy(), model.output, rtol=1e-5, atol=1e-5 * scale)


def test_no_classes_gives_the_features(model):
  graph, _, features, end_points = ref.build(model.name, num_classes=0)
  names = {v[0] for v in ref.variables(graph)}
  assert not names & set(model.manifest['logits_layer_variables'])
  assert features.shape.rank in (2, 4)
  assert features.shape[-1] != model.num_classes
  assert not [k for k, v in end_points.items() if v.shape[-1] == model.num_classes]
