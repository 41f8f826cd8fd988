"""OverFeat, the "fast" model of Sermanet et al. (2013), with TF-Slim's API.

The same family as AlexNet v2 (see `nets.convnet`): a trunk of convolutions
and max pools, then fully connected layers written as convolutions. It has no
local response normalization; its default image size is 231.
"""

import tensorflow as tf

from nets import convnet
from nets import registry
from nets.convnet import Conv
from nets.convnet import Pool


def overfeat_arg_scope(weight_decay=0.0005):
  """Defaults for OverFeat: ReLU, L2 decay, zero biases, SAME convolutions
  and VALID max pools.

  Args:
    weight_decay: L2 decay of conv and fully connected weights.

  Returns:
    A `scopes.Scope`.
  """
  return convnet.classic_arg_scope(weight_decay, tf.compat.v1.zeros_initializer(),
                                   pool_padding='VALID')


OVERFEAT = convnet.ConvNet(
    name='overfeat',
    trunk=(Conv('conv1', 64, [11, 11], 4, 'VALID'),
           Pool('pool1', [2, 2]),
           Conv('conv2', 256, [5, 5], padding='VALID'),
           Pool('pool2', [2, 2]),
           Conv('conv3', 512, [3, 3]),
           Conv('conv4', 1024, [3, 3]),
           Conv('conv5', 1024, [3, 3]),
           Pool('pool5', [2, 2])),
    fc6=Conv('fc6', 3072, [6, 6], padding='VALID'),
    fc7_depth=4096,
    fc_defaults=convnet.FC_DEFAULTS,
    fc8_defaults=convnet.FC8_DEFAULTS)


overfeat = registry.register(
    arg_scope=overfeat_arg_scope, num_classes=1001, preprocessing='vgg',
    logits_scopes=('overfeat/fc8',), default_image_size=231)(convnet.network_fn(
        OVERFEAT, """OverFeat; build it under `overfeat_arg_scope()`.

  At 231x231 the trunk ends at 6x6 and fc6 (6x6 VALID) at 1x1; larger inputs
  give spatial logits (use `spatial_squeeze=False`, or `global_pool=True`)."""))
