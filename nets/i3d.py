"""I3D (Carreira and Zisserman, 2017): Inception v1 inflated to 3-D for video,
with TF-Slim's API and names.

Every Inception v1 layer becomes its 3-D counterpart on [batch, frames,
height, width, channels] input: the 7x7 stem convolution a 7x7x7 one, each
module's 3x3 convolutions 3x3x3, the early poolings spatial only (1x3x3), the
later ones over time too. The logits are averaged over the frames that remain.
As in TF-Slim it is S3D-G's table (nets.s3dg) without gating, and the
variables keep Inception v1's scope, `InceptionV1/...`.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets import s3dg


def i3d_base(inputs, final_endpoint='Mixed_5c', scope='InceptionV1'):
  """I3D from the [batch, frames, height, width, 3] input up to `final_endpoint`
  (an end point of Inception v1: 'Conv2d_1a_7x7' ... 'Mixed_5c').

  It is S3D-G's base with a 7-frame stem, 3-D convolutions from Conv2d_2c_3x3
  on and no gating, as in TF-Slim; `i3d_arg_scope(separable_conv3d=True)` makes
  those convolutions separable.

  Returns:
    (net, end_points).
  """
  return s3dg.s3dg_base(inputs, first_temporal_kernel_size=7,
                        temporal_conv_startat='Conv2d_2c_3x3', gating_startat=None,
                        final_endpoint=final_endpoint, scope=scope)


def i3d_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999, batch_norm_epsilon=0.001,
                  use_renorm=False, separable_conv3d=False):
  """Defaults for I3D: ReLU and batch norm (no scale) on every 3-D convolution,
  L2 decay, the batch-norm statistics in the 'moving_vars' collection.

  Args:
    weight_decay: L2 decay of the convolution weights.
    batch_norm_decay, batch_norm_epsilon: of the batch norms.
    use_renorm: batch renormalization (Ioffe, 2017) in every batch norm.
    separable_conv3d: each 3-D convolution spanning frames becomes a spatial
      one and a temporal one (`<scope>/temporal`), as in S3D.

  Returns:
    A `scopes.Scope`.
  """
  return s3dg.video_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon,
                              use_renorm, separable_conv3d)


# No official checkpoint; 1001 classes as for the other TF-Slim nets. Video
# input has no preprocessing of ours yet: 'inception' is the per-frame one.
@registry.register(arg_scope=i3d_arg_scope, num_classes=1001, preprocessing='inception',
                   logits_scopes=('InceptionV1/Logits',), default_image_size=224,
                   input_frames=64)
def i3d(inputs, num_classes=1000, dropout_keep_prob=0.8, is_training=True,
        prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None, scope='InceptionV1'):
  """I3D video classifier; trained on 64 frames of 224x224.

  Args:
    inputs: [batch, frames, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features,
      averaged over frames like the logits.
    dropout_keep_prob: the fraction kept by dropout before the logits.
    is_training: batch norm and dropout in training mode.
    prediction_fn: turns logits into `end_points['Predictions']`.
    spatial_squeeze: squeeze the logits to [batch, num_classes].
    reuse: reuse the variables of an earlier call.
    scope: variable scope.

  Returns:
    (logits, end_points).
  """
  if len(inputs.shape) != 5:
    raise ValueError('i3d takes [batch, frames, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as sc:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = i3d_base(inputs, scope=sc)
      return s3dg.video_classifier(net, end_points, num_classes, dropout_keep_prob,
                                   spatial_squeeze, prediction_fn)
