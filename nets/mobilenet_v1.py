"""MobileNet v1 (Howard et al., 2017) with TF-Slim's API and names.

The architecture is data: `MOBILENETV1_CONV_DEFS`, a full convolution then
thirteen depthwise-separable ones (a 3x3 depthwise convolution, then a 1x1
pointwise one), each with batch norm and ReLU6. `depth_multiplier` thins every
layer; `output_stride` trades strides for atrous rates; `use_explicit_padding`
pads by hand and convolves 'VALID', as for quantized inference.

Registered: mobilenet_v1, mobilenet_v1_075, mobilenet_v1_050, mobilenet_v1_025.
"""

import collections

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets.inception_blocks import reduced_kernel_size_for_small_input
from nets.mobilenet.conv_blocks import fixed_padding

Conv = collections.namedtuple('Conv', ['kernel', 'stride', 'depth'])
DepthSepConv = collections.namedtuple('DepthSepConv', ['kernel', 'stride', 'depth'])

MOBILENETV1_CONV_DEFS = [Conv(kernel=[3, 3], stride=2, depth=32)] + [
    DepthSepConv(kernel=[3, 3], stride=stride, depth=depth)
    for stride, depth in [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512),
                          (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024)]]


def mobilenet_v1_base(inputs, final_endpoint=None, min_depth=8,
                      depth_multiplier=1.0, conv_defs=None, output_stride=None,
                      use_explicit_padding=False, scope=None):
  """MobileNet v1 from the input to `final_endpoint`.

  Args:
    inputs: [batch, height, width, channels] images.
    final_endpoint: the last layer to build, 'Conv2d_0' ... 'Conv2d_13_pointwise';
      None: the last layer of `conv_defs`.
    min_depth: the least depth of any layer once `depth_multiplier` is applied.
    depth_multiplier: scales every layer's depth (must be positive).
    conv_defs: the layer table; default `MOBILENETV1_CONV_DEFS`.
    output_stride: the largest ratio of input to output size (8, 16, 32 or
      None); later strides become atrous rates.
    use_explicit_padding: pad by hand and convolve 'VALID'.
    scope: variable scope.

  Returns:
    (the tensor at `final_endpoint`, {end point name: tensor}).

  Raises:
    ValueError: a bad depth multiplier, output stride or final end point.
  """
  if depth_multiplier <= 0:
    raise ValueError('depth_multiplier must be positive, got %r' % depth_multiplier)
  if output_stride is not None and output_stride not in (8, 16, 32):
    raise ValueError('output_stride must be 8, 16, 32 or None, got %r' % output_stride)
  conv_defs = conv_defs or MOBILENETV1_CONV_DEFS
  names = []
  for i, conv_def in enumerate(conv_defs):
    names += ['Conv2d_%d' % i] if isinstance(conv_def, Conv) else [
        'Conv2d_%d_depthwise' % i, 'Conv2d_%d_pointwise' % i]
  final_endpoint = final_endpoint or names[-1]
  if final_endpoint not in names:
    raise ValueError('unknown final_endpoint %r; valid: %s' % (final_endpoint, ', '.join(names)))
  depth = lambda d: max(int(d * depth_multiplier), min_depth)
  padding = 'VALID' if use_explicit_padding else 'SAME'
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'MobilenetV1', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding=padding):
      net, current_stride, rate = inputs, 1, 1
      for i, conv_def in enumerate(conv_defs):
        if output_stride is not None and current_stride == output_stride:
          layer_stride, layer_rate = 1, rate
          rate *= conv_def.stride
        else:
          layer_stride, layer_rate = conv_def.stride, 1
          current_stride *= conv_def.stride
        if isinstance(conv_def, Conv):
          name = 'Conv2d_%d' % i
          if use_explicit_padding:
            net = fixed_padding(net, conv_def.kernel)
          net = slim.conv2d(net, depth(conv_def.depth), conv_def.kernel, stride=conv_def.stride,
                            scope=name)
          end_points[name] = net
          if name == final_endpoint:
            return net, end_points
          continue
        name = 'Conv2d_%d_depthwise' % i
        if use_explicit_padding:
          net = fixed_padding(net, conv_def.kernel, layer_rate)
        net = slim.separable_conv2d(net, None, conv_def.kernel, depth_multiplier=1,
                                    stride=layer_stride, rate=layer_rate, scope=name)
        end_points[name] = net
        if name == final_endpoint:
          return net, end_points
        name = 'Conv2d_%d_pointwise' % i
        net = slim.conv2d(net, depth(conv_def.depth), [1, 1], stride=1, scope=name)
        end_points[name] = net
        if name == final_endpoint:
          return net, end_points
  raise AssertionError('unreachable: %s was checked' % final_endpoint)


def mobilenet_v1(inputs, num_classes=1000, dropout_keep_prob=0.999, is_training=True,
                 min_depth=8, depth_multiplier=1.0, conv_defs=None,
                 prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
                 scope='MobilenetV1', global_pool=False):
  """MobileNet v1 for classification.

  Args:
    inputs: [batch, height, width, 3] images.
    num_classes: classes of the logits; 0 or None returns the pooled features.
    dropout_keep_prob: the fraction kept by dropout before the logits.
    is_training: batch norm and dropout in training mode.
    min_depth, depth_multiplier, conv_defs: as in `mobilenet_v1_base`.
    prediction_fn: turns logits into `end_points['Predictions']`.
    spatial_squeeze: squeeze the logits to [batch, num_classes].
    reuse: reuse the variables of an earlier call.
    scope: variable scope.
    global_pool: average over the whole final map instead of a fixed 7x7
      (shrunk for small inputs).

  Returns:
    (logits, end_points).
  """
  if len(inputs.shape) != 4:
    raise ValueError('mobilenet_v1 takes [batch, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'MobilenetV1', [inputs], reuse=reuse) as sc:
    with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = mobilenet_v1_base(inputs, scope=sc, min_depth=min_depth,
                                          depth_multiplier=depth_multiplier,
                                          conv_defs=conv_defs)
      with tf.compat.v1.variable_scope('Logits'):
        if global_pool:
          net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
          end_points['global_pool'] = net
        else:
          kernel = reduced_kernel_size_for_small_input(net, [7, 7])
          net = slim.avg_pool2d(net, kernel, padding='VALID', scope='AvgPool_1a')
          end_points['AvgPool_1a'] = net
        if not num_classes:
          return net, end_points
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope='Dropout_1b')
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                             scope='Conv2d_1c_1x1')
        if spatial_squeeze:
          logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
      end_points['Logits'] = logits
      if prediction_fn:
        end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points


def mobilenet_v1_arg_scope(is_training=True, weight_decay=0.00004, stddev=0.09,
                           regularize_depthwise=False, batch_norm_decay=0.9997,
                           batch_norm_epsilon=0.001,
                           batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
                           normalizer_fn=slim.batch_norm):
  """Defaults for MobileNet v1: truncated-normal weights, ReLU6, batch norm;
  L2 decay on the full and pointwise convolutions (on the depthwise ones too
  with `regularize_depthwise`).

  Args:
    is_training: batch norm's mode, or None to leave it to the net.
    weight_decay: L2 decay.
    stddev: of the truncated-normal weights.
    regularize_depthwise: also decay the depthwise weights.
    batch_norm_decay, batch_norm_epsilon, batch_norm_updates_collections: batch norm's.
    normalizer_fn: the normalizer of the convolutions.

  Returns:
    A `scopes.Scope`.
  """
  batch_norm = {'center': True, 'scale': True, 'decay': batch_norm_decay,
                'epsilon': batch_norm_epsilon,
                'updates_collections': batch_norm_updates_collections}
  if is_training is not None:
    batch_norm['is_training'] = is_training
  regularizer = scopes.l2_regularizer(weight_decay)
  return scopes.merge(
      scopes.scope_for([slim.conv2d, slim.separable_conv2d],
                       weights_initializer=scopes.trunc_normal(stddev),
                       activation_fn=tf.nn.relu6, normalizer_fn=normalizer_fn),
      scopes.scope_for([slim.batch_norm], **batch_norm),
      scopes.scope_for([slim.conv2d], weights_regularizer=regularizer),
      scopes.scope_for([slim.separable_conv2d],
                       weights_regularizer=regularizer if regularize_depthwise else None))


# TF-Slim's four published depths; the 0.5 and 0.25 checkpoints were trained at
# 160 and 128 pixels but keep 224 as the models' default size, as TF-Slim does.
# Published accuracy: TF-Slim's README (its 2018_02_22 checkpoints), 0.75 from mobilenet_v1.md.
VARIANTS = registry.register_variants(mobilenet_v1, {
    'mobilenet_v1': dict(checkpoint='mobilenet_v1_1.0_224.tgz',
                         published_top1=70.9, published_top5=89.9),
    'mobilenet_v1_075': dict(args={'depth_multiplier': 0.75},
                             checkpoint='mobilenet_v1_0.75_224.tgz',
                             published_top1=68.4, published_top5=88.2),
    'mobilenet_v1_050': dict(args={'depth_multiplier': 0.50},
                             checkpoint='mobilenet_v1_0.5_160.tgz',
                             published_top1=59.1, published_top5=81.9, published_image_size=160),
    'mobilenet_v1_025': dict(args={'depth_multiplier': 0.25},
                             checkpoint='mobilenet_v1_0.25_128.tgz',
                             published_top1=41.5, published_top5=66.3, published_image_size=128),
}, arg_scope=mobilenet_v1_arg_scope, num_classes=1001, preprocessing='inception',
   logits_scopes=('MobilenetV1/Logits',), default_image_size=224)
mobilenet_v1_075 = VARIANTS['mobilenet_v1_075']
mobilenet_v1_050 = VARIANTS['mobilenet_v1_050']
mobilenet_v1_025 = VARIANTS['mobilenet_v1_025']
