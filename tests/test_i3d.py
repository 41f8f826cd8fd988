"""I3D: Inception v1 inflated to video, on shorter clips and smaller frames."""

import numpy as np
import pytest
import tensorflow as tf
import tf_slim

import scopes
from nets import i3d


def test_short_small_clips_and_the_base():
  graph = tf.Graph()
  with graph.as_default():
    clips = tf.compat.v1.placeholder(tf.float32, [2, 16, 112, 112, 3])
    with scopes.arg_scope(i3d.i3d_arg_scope()):
      logits, end_points = i3d.i3d(clips, num_classes=7, is_training=False)
      net, base_points = i3d.i3d_base(clips, final_endpoint='Mixed_4b', scope='Again')
  assert logits.shape.as_list() == [2, 7]
  # Time shrinks with the stem's stride and the two 3-D poolings: 16 -> 8 -> 4 -> 2.
  assert end_points['Mixed_5c'].shape.as_list() == [2, 2, 4, 4, 1024]
  assert end_points['MaxPool_3a_3x3'].shape.as_list() == [2, 8, 14, 14, 192]
  assert net.shape.as_list() == [2, 4, 7, 7, 512] and list(base_points)[-1] == 'Mixed_4b'
  assert 'InceptionV1/Mixed_5b/Branch_2/Conv2d_0b_3x3/weights' in {
      v.op.name for v in graph.get_collection('variables')}


def test_images_are_refused():
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='i3d takes .batch, frames, height, width, channels. '
                       'inputs, got rank 4'):
      i3d.i3d(tf.zeros([1, 224, 224, 3]))


def test_s3dg_options():
  from nets import s3dg
  graph = tf.Graph()
  with graph.as_default():
    clips = tf.compat.v1.placeholder(tf.float32, [1, 16, 112, 112, 3])
    with scopes.arg_scope(s3dg.s3dg_arg_scope()):
      logits, end_points = s3dg.s3dg(clips, num_classes=5, is_training=False)
      s3dg.s3dg_base(clips, gating_startat=None, temporal_conv_startat='Mixed_4b',
                     scope='Plain')
  names = {v.op.name for v in graph.get_collection('variables')}
  assert logits.shape.as_list() == [1, 5]
  assert end_points['Mixed_5c'].shape.as_list() == [1, 2, 4, 4, 1024]
  assert 'InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/temporal/weights' in names
  assert 'InceptionV1/Mixed_3b/Branch_0/Conv2d_0a_1x1/self_gating/transformer_W/weights' in names
  plain = {n for n in names if n.startswith('Plain/')}
  assert not any('self_gating' in n for n in plain)
  assert 'Plain/Mixed_3b/Branch_1/Conv2d_0b_3x3/temporal/weights' not in plain
  assert 'Plain/Mixed_4b/Branch_1/Conv2d_0b_3x3/temporal/weights' in plain
  with tf.Graph().as_default(), pytest.raises(ValueError, match="gating_startat='Mixed_9z' is "
                                              'not an end point'):
    s3dg.s3dg_base(tf.zeros([1, 8, 64, 64, 3]), gating_startat='Mixed_9z')


@pytest.mark.parametrize('options', [{}, {'use_renorm': True, 'separable_conv3d': True}])
def test_i3d_arg_scope_renorm_and_separable_convolutions(options):
  graph = tf.Graph()
  with graph.as_default():
    clips = tf.compat.v1.placeholder(tf.float32, [1, 8, 64, 64, 3])
    with scopes.arg_scope(i3d.i3d_arg_scope(**options)):
      with scopes.arg_scope([tf_slim.batch_norm], is_training=True):
        net, _ = i3d.i3d_base(clips, final_endpoint='Mixed_3b')
  shapes = {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}
  names = set(shapes)
  separable, renorm = bool(options), bool(options)
  assert net.shape.as_list() == [1, 4, 8, 8, 256]
  # The 7-frame stem stays one 3-D convolution, as in TF-Slim.
  assert 'InceptionV1/Conv2d_1a_7x7/weights' in names
  assert not any(n.startswith('InceptionV1/Conv2d_1a_7x7/temporal') for n in names)
  assert ('InceptionV1/Conv2d_2c_3x3/temporal/weights' in names) == separable
  assert ('InceptionV1/Mixed_3b/Branch_2/Conv2d_0b_3x3/temporal/biases' in names) == separable
  assert ('InceptionV1/Conv2d_2c_3x3/BatchNorm/renorm_mean' in names) == renorm
  assert not any('self_gating' in n for n in names)  # I3D has no gating
  assert shapes['InceptionV1/Conv2d_2c_3x3/weights'] == (
      [1, 3, 3, 64, 192] if separable else [3, 3, 3, 64, 192])


def test_separable_temporal_convolutions_start_as_the_identity():
  from nets import i3d_utils, s3dg
  assert s3dg.conv3d_spatiotemporal is i3d_utils.conv3d_spatiotemporal
  graph = tf.Graph()
  with graph.as_default():
    clips = tf.compat.v1.placeholder(tf.float32, [1, 4, 32, 32, 3])
    with scopes.arg_scope(s3dg.s3dg_arg_scope()):
      s3dg.s3dg_base(clips, final_endpoint='Conv2d_2c_3x3')
    [temporal] = [v for v in tf.compat.v1.global_variables()
                  if v.op.name == 'InceptionV1/Conv2d_2c_3x3/temporal/weights']
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      weights = sess.run(temporal)
  expected = np.zeros([3, 1, 1, 192, 192], np.float32)
  expected[1, 0, 0] = np.eye(192)
  np.testing.assert_array_equal(weights, expected)
  init = i3d_utils.center_initializer()
  with pytest.raises(ValueError, match=r'odd t, got \[2, 1, 1, 4, 4\]'):
    init([2, 1, 1, 4, 4])
  with pytest.raises(ValueError, match=r'got \[3, 1, 1, 4, 8\]'):
    init([3, 1, 1, 4, 8])


def test_first_temporal_kernel_size_is_checked():
  from nets import s3dg
  with tf.Graph().as_default(), pytest.raises(
      ValueError, match=r'^first_temporal_kernel_size=4; valid: 1, 3, 5, 7$'):
    s3dg.s3dg_base(tf.zeros([1, 8, 64, 64, 3]), first_temporal_kernel_size=4)


def test_s3dg_channels_first_gives_the_same_logits_with_the_same_variables():
  from nets import s3dg
  clips = np.random.RandomState(0).uniform(-1, 1, [1, 4, 32, 32, 3]).astype(np.float32)
  graph = tf.Graph()
  with graph.as_default():
    with scopes.arg_scope(s3dg.s3dg_arg_scope()):
      last, last_points = s3dg.s3dg(tf.constant(clips), num_classes=6, is_training=False,
                                    final_endpoint='Mixed_3c')
      count = len(tf.compat.v1.global_variables())
      first, first_points = s3dg.s3dg(tf.constant(clips.transpose(0, 4, 1, 2, 3)), num_classes=6,
                                      is_training=False, data_format='NCDHW', reuse=True,
                                      final_endpoint='Mixed_3c')
    assert len(tf.compat.v1.global_variables()) == count  # the same variables serve both
    assert first_points['Mixed_3c'].shape.as_list() == [1, 480, 2, 4, 4]
    assert last_points['Mixed_3b'].shape.as_list() == [1, 2, 4, 4, 256]
    assert first_points['Mixed_3b'].shape.as_list() == [1, 256, 2, 4, 4]
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      last, first, last_3b, first_3b = sess.run(
          [last, first, last_points['Mixed_3b'], first_points['Mixed_3b']])
  np.testing.assert_allclose(first_3b.transpose(0, 2, 3, 4, 1), last_3b, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(first, last, rtol=1e-4, atol=1e-6)
  assert first.shape == (1, 6) and np.abs(last).max() > 0
  with tf.Graph().as_default(), pytest.raises(
      ValueError, match=r"^data_format='NCHW'; valid: NDHWC, NCDHW$"):
    s3dg.s3dg_base(tf.zeros([1, 8, 64, 64, 3]), data_format='NCHW')


def test_inception_block_v1_3d_is_a_row_of_the_s3dg_table():
  from nets import i3d_utils, s3dg
  graph = tf.Graph()
  with graph.as_default():
    clips = tf.constant(np.random.RandomState(1).uniform(-1, 1, [1, 4, 16, 16, 3]), tf.float32)
    with scopes.arg_scope(s3dg.s3dg_arg_scope()):
      table_net, points = s3dg.s3dg_base(clips, final_endpoint='Mixed_3b', scope='Table')
      with tf.compat.v1.variable_scope('Block'):
        block_net = i3d_utils.inception_block_v1_3d(
            points['MaxPool_3a_3x3'], 64, 96, 128, 16, 32, 32,
            self_gating_fn=s3dg.self_gating, scope='Mixed_3b')
    shapes = {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
    table = {n[len('Table/'):]: s for n, s in shapes.items()
             if n.startswith('Table/Mixed_3b/')}
    ours = {n[len('Block/'):]: s for n, s in shapes.items() if n.startswith('Block/')}
    assert ours == table and len(ours) > 20
    assert 'Mixed_3b/Branch_1/Conv2d_0b_3x3/temporal/weights' in ours
    assert 'Mixed_3b/Branch_3/Conv2d_0b_1x1/self_gating/transformer_W/weights' in ours
    variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
    copy = [variables[name].assign(variables['Table/' + name[len('Block/'):]])
            for name in variables if name.startswith('Block/')]
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      sess.run(copy)
      table_value, block_value = sess.run([table_net, block_net])
  np.testing.assert_allclose(block_value, table_value, rtol=1e-5, atol=1e-6)
