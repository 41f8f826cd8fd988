"""MobileNet v1's options (the base to an end point, output_stride, explicit padding, conv_defs),
MobileNet v2's conv-defs engine, and group norm in MobileNet v3 and EdgeTPU."""

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import scopes
from nets import mobilenet_v1


def build(fn, size=224, **kwargs):
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
    with scopes.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(is_training=False)):
      net, end_points = fn(images, **kwargs)
    names = sorted(v.op.name for v in graph.get_collection('variables'))
  return net.shape.as_list(), end_points, names


def test_base_stops_at_the_final_end_point():
  shape, end_points, _ = build(mobilenet_v1.mobilenet_v1_base, final_endpoint='Conv2d_5_pointwise')
  assert shape == [1, 28, 28, 256]
  assert list(end_points)[-1] == 'Conv2d_5_pointwise' and 'Conv2d_6_depthwise' not in end_points
  with pytest.raises(ValueError, match="unknown final_endpoint 'Conv2d_14'; valid: Conv2d_0, "):
    build(mobilenet_v1.mobilenet_v1_base, final_endpoint='Conv2d_14')


def test_output_stride_keeps_variables_and_enlarges_the_map():
  plain_shape, _, plain = build(mobilenet_v1.mobilenet_v1_base)
  shape, _, names = build(mobilenet_v1.mobilenet_v1_base, output_stride=8)
  assert plain_shape == [1, 7, 7, 1024] and shape == [1, 28, 28, 1024]
  assert names == plain


def test_explicit_padding_gives_the_same_shapes_and_variables():
  plain_shape, plain_points, plain = build(mobilenet_v1.mobilenet_v1_base, size=225)
  shape, end_points, names = build(mobilenet_v1.mobilenet_v1_base, size=225,
                                   use_explicit_padding=True)
  assert shape == plain_shape and names == plain
  assert {k: v.shape.as_list() for k, v in end_points.items()} == {
      k: v.shape.as_list() for k, v in plain_points.items()}


def test_conv_defs_and_depth_multiplier():
  defs = [mobilenet_v1.Conv([3, 3], 2, 16), mobilenet_v1.DepthSepConv([3, 3], 2, 40)]
  shape, end_points, names = build(mobilenet_v1.mobilenet_v1, size=64, conv_defs=defs,
                                   num_classes=5, depth_multiplier=0.5, global_pool=True)
  assert shape == [1, 5]
  assert end_points['Conv2d_1_pointwise'].shape.as_list() == [1, 16, 16, 20]
  assert 'MobilenetV1/Conv2d_1_depthwise/depthwise_weights' in names
  with pytest.raises(ValueError, match='depth_multiplier must be positive'):
    build(mobilenet_v1.mobilenet_v1_base, depth_multiplier=0)


def test_depthwise_weights_are_not_regularized_unless_asked():
  for regularize, expected in ((False, 15), (True, 28)):
    graph = tf.Graph()
    with graph.as_default():
      with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
          regularize_depthwise=regularize)):
        mobilenet_v1.mobilenet_v1(tf.zeros([1, 224, 224, 3]), num_classes=10)
      losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == expected


# MobileNet v2: the conv-defs engine

def build_v2(fn, size=224, **kwargs):
  from nets.mobilenet import mobilenet_v2
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
    with slim.arg_scope(mobilenet_v2.training_scope(is_training=False)):
      net, end_points = fn(images, **kwargs)
  return graph, net, end_points


def test_mobilenet_v2_keeps_tf_slims_api():
  from nets.mobilenet import mobilenet_v2
  graph, logits, end_points = build_v2(mobilenet_v2.mobilenet)
  assert logits.shape.as_list() == [1, 1001]
  # training_scope(is_training=False) reaches the net: no batch-norm updates.
  assert not graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  assert end_points['layer_2/depthwise_output'].shape.as_list() == [1, 112, 112, 32]
  assert 'layer_2/expansion_output' not in end_points  # 32 -> 32: no expansion
  _, net, points = build_v2(mobilenet_v2.mobilenet_base, final_endpoint='layer_5')
  assert net.shape.as_list() == [1, 28, 28, 32] and 'layer_6' not in points


def test_mobilenet_v2_output_stride_and_finegrain():
  from nets.mobilenet import mobilenet_v2
  _, net, _ = build_v2(mobilenet_v2.mobilenet_base, output_stride=16)
  assert net.shape.as_list() == [1, 14, 14, 1280]
  _, net, _ = build_v2(mobilenet_v2.mobilenet_base, depth_multiplier=0.5,
                       finegrain_classification_mode=True)
  assert net.shape.as_list() == [1, 7, 7, 1280]
  _, net, _ = build_v2(mobilenet_v2.mobilenet_base, depth_multiplier=0.5)
  assert net.shape.as_list() == [1, 7, 7, 640]
  _, net, _ = build_v2(mobilenet_v2.mobilenet_base, size=225, use_explicit_padding=True)
  assert net.shape.as_list() == [1, 8, 8, 1280]
  with pytest.raises(ValueError, match="unknown final_endpoint 'layer_40'"):
    build_v2(mobilenet_v2.mobilenet_base, final_endpoint='layer_40')


# MobileNet v3 and EdgeTPU with group norm (use_groupnorm)

GROUP_NORM_MODELS = ['mobilenet_v3_small', 'mobilenet_v3_large', 'mobilenet_edgetpu']


def build_registered(name, size=32, num_classes=1001, **kwargs):
  """`name` built twice in one graph on the same weights: training (the first
  call) and inference (reuse); returns the graph, the input and both outputs."""
  from nets import registry
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
    train = registry.get_network_fn(name, num_classes, is_training=True)(images, **kwargs)[0]
    infer = registry.get_network_fn(name, num_classes)(images, reuse=True, **kwargs)[0]
  return graph, images, train, infer


def shapes_by_name(graph):
  return {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}


@pytest.mark.parametrize('name', GROUP_NORM_MODELS)
def test_group_norm_replaces_each_batch_norm_by_beta_and_gamma(name):
  batch_graph = build_registered(name)[0]
  graph, images, train, infer = build_registered(name, use_groupnorm=True)
  batch, group = shapes_by_name(batch_graph), shapes_by_name(graph)
  assert any('/BatchNorm/moving_mean' in n for n in batch)  # the default is unchanged
  assert not any('GroupNorm' in n for n in batch)
  assert not any('BatchNorm' in n for n in group)
  # Each batch norm's beta and gamma become group norm's, of the same shape; its
  # moving statistics go; every other variable stays as it was.
  expected = {n.replace('/BatchNorm/', '/GroupNorm/'): s for n, s in batch.items()
              if not n.endswith(('/moving_mean', '/moving_variance'))}
  assert group == expected
  assert sum(n.endswith('/GroupNorm/gamma') for n in group) > 30
  assert not graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  assert train.shape.as_list() == infer.shape.as_list() == [1, 1001]
  with graph.as_default(), tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    out = sess.run(infer, {images: np.random.RandomState(0).uniform(-1, 1, [1, 32, 32, 3])})
  assert np.all(np.isfinite(out)) and np.std(out) > 0


def test_group_norm_has_no_training_mode():
  # Group norm normalizes each image by itself: the pre-logits features of the
  # training build equal those of inference (batch norm's would not).
  graph, images, train, infer = build_registered('mobilenet_v3_small', num_classes=0,
                                                 use_groupnorm=True)
  with graph.as_default(), tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    data = np.random.RandomState(1).uniform(-1, 1, [1, 32, 32, 3])
    train_out, infer_out = sess.run([train, infer], {images: data})
  assert train_out.shape == (1, 1, 1, 1024)
  np.testing.assert_allclose(train_out, infer_out, rtol=1e-5, atol=1e-6)


def test_mobilenet_base_takes_use_groupnorm():
  from nets.mobilenet import mobilenet as lib
  from nets.mobilenet import mobilenet_v3
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [1, 32, 32, 3])
    net, _ = lib.mobilenet_base(images, conv_defs=mobilenet_v3.V3_EDGETPU, use_groupnorm=True,
                                final_endpoint='layer_3')
    names = shapes_by_name(graph)
  assert net.shape.as_list() == [1, 8, 8, 32]
  assert names['Mobilenet/expanded_conv_1/expand/GroupNorm/gamma'] == [128]
  assert names['Mobilenet/expanded_conv_1/project/GroupNorm/beta'] == [32]
  assert not any('BatchNorm' in n for n in names)
  # The table itself is left as it was.
  assert mobilenet_v3.V3_EDGETPU['defaults'][(slim.batch_norm,)] == {'center': True,
                                                                     'scale': True}
