"""AlexNet v2, the single-tower net of "One weird trick for parallelizing
convolutional neural networks" (Krizhevsky, 2014), built by `nets.convnet`.
"""

import tensorflow as tf

from nets import registry
from nets.convnet import FC8_DEFAULTS
from nets.convnet import FC_DEFAULTS
from nets.convnet import Conv
from nets.convnet import ConvNet
from nets.convnet import Pool
from nets.convnet import network_fn
from nets.convnet import classic_arg_scope


def alexnet_v2_arg_scope(weight_decay=0.0005):
  """Defaults for AlexNet v2: ReLU, L2 decay, biases 0.1, SAME convolutions
  and VALID max pools.

  Args:
    weight_decay: L2 decay of conv and fully connected weights.

  Returns:
    A `scopes.Scope`.
  """
  return classic_arg_scope(weight_decay, tf.compat.v1.constant_initializer(0.1),
                           pool_padding='VALID')


ALEXNET_V2 = ConvNet(
    name='alexnet_v2',
    trunk=(Conv('conv1', 64, [11, 11], 4, 'VALID'),
           Pool('pool1', [3, 3]),
           Conv('conv2', 192, [5, 5]),
           Pool('pool2', [3, 3]),
           Conv('conv3', 384, [3, 3]),
           Conv('conv4', 384, [3, 3]),
           Conv('conv5', 256, [3, 3]),
           Pool('pool5', [3, 3])),
    fc6=Conv('fc6', 4096, [5, 5], padding='VALID'),
    fc7_depth=4096,
    fc_defaults=FC_DEFAULTS,
    fc8_defaults=FC8_DEFAULTS)


alexnet_v2 = registry.register(
    arg_scope=alexnet_v2_arg_scope, num_classes=1001, preprocessing='vgg',
    logits_scopes=('alexnet_v2/fc8',), default_image_size=224)(network_fn(
        ALEXNET_V2, """AlexNet v2; build it under `alexnet_v2_arg_scope()`.

  At 224x224 the trunk ends at 5x5 and fc6 (5x5 VALID) at 1x1; larger inputs
  give spatial logits (use `spatial_squeeze=False`, or `global_pool=True`)."""))
