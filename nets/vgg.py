"""VGG A, 16 and 19 ("Very Deep Convolutional Networks for Large-Scale Image
Recognition", Simonyan and Zisserman, 2014) with TF-Slim's API and names.

The three differ only in how many 3x3 convolutions each of the five stages
repeats (`STAGES`); one builder (`nets.convnet.ConvNet`) makes them all. The
fully connected layers are convolutions (fc6 7x7, fc7 and fc8 1x1), so a larger
input gives spatial logits (use `spatial_squeeze=False`, or `global_pool`).
"""

import tensorflow as tf

from nets import convnet
from nets import registry
from nets.convnet import Conv
from nets.convnet import Pool

# Stage i has STAGE_DEPTHS[i] outputs and ends in a 2x2 max pool.
STAGE_DEPTHS = (64, 128, 256, 512, 512)
# Convolutions per stage: configurations A, D and E of the paper.
STAGES = {
    'vgg_a': (1, 1, 2, 2, 2),
    'vgg_16': (2, 2, 3, 3, 3),
    'vgg_19': (2, 2, 4, 4, 4),
}


def vgg_arg_scope(weight_decay=0.0005):
  """Defaults for VGG: ReLU, L2 decay and zero biases, SAME convolutions.

  Args:
    weight_decay: L2 decay of conv and fully connected weights.

  Returns:
    A `scopes.Scope`.
  """
  return convnet.classic_arg_scope(weight_decay, tf.compat.v1.zeros_initializer())


def _trunk(repeats):
  """conv1/conv1_1, ..., pool1, conv2/conv2_1, ...: TF-Slim's `slim.repeat` names."""
  layers = []
  for stage, (repeat, depth) in enumerate(zip(repeats, STAGE_DEPTHS, strict=True), 1):
    layers += [Conv('conv%d/conv%d_%d' % (stage, stage, i), depth, [3, 3])
               for i in range(1, repeat + 1)]
    layers.append(Pool('pool%d' % stage, [2, 2]))
  return tuple(layers)


def _build(name, inputs, num_classes, is_training, dropout_keep_prob,
           spatial_squeeze, reuse, scope, fc_conv_padding, global_pool):
  net = convnet.ConvNet(
      name=name,
      trunk=_trunk(STAGES[name]),
      fc6=Conv('fc6', 4096, [7, 7], padding=fc_conv_padding),
      fc7_depth=4096,
      fc_defaults={},
      fc8_defaults={})
  return net.build(inputs, num_classes, is_training, dropout_keep_prob,
                   spatial_squeeze, scope, global_pool, reuse)


def vgg(inputs,
        num_classes=1000,
        is_training=True,
        dropout_keep_prob=0.5,
        spatial_squeeze=True,
        reuse=None,
        scope=None,
        fc_conv_padding='VALID',
        global_pool=False,
        *,
        configuration):
  return _build(configuration, inputs, num_classes, is_training, dropout_keep_prob,
                spatial_squeeze, reuse, scope, fc_conv_padding, global_pool)


convnet.document(
    vgg, "VGG in one of the paper's configurations (`STAGES`).",
    fc_conv_padding="padding of the 7x7 fc6; 'SAME' keeps the spatial size,\n"
                    "      so a larger input gives a logits map of pool5's size.",
    configuration="'vgg_a' (VGG 11, configuration A), 'vgg_16' (D) or 'vgg_19' (E).")

# The three models: `vgg` with its configuration, and TF-Slim's scope name, fixed.
VARIANTS = registry.register_variants(vgg, {
    'vgg_a': dict(args={'configuration': 'vgg_a', 'scope': 'vgg_a'}),
    'vgg_16': dict(args={'configuration': 'vgg_16', 'scope': 'vgg_16'},
                   checkpoint='vgg_16_2016_08_28.tar.gz',
                   published_top1=71.5, published_top5=89.8),
    'vgg_19': dict(args={'configuration': 'vgg_19', 'scope': 'vgg_19'},
                   checkpoint='vgg_19_2016_08_28.tar.gz',
                   published_top1=71.1, published_top5=89.8),
}, arg_scope=vgg_arg_scope, num_classes=1000, preprocessing='vgg',
   logits_scopes=('{name}/fc8',), default_image_size=224)
vgg_a = VARIANTS['vgg_a']
vgg_16 = VARIANTS['vgg_16']
vgg_19 = VARIANTS['vgg_19']

# TF-Slim's aliases, by the paper's configuration letters.
vgg_d = vgg_16
vgg_e = vgg_19
