"""NASNet-A (Zoph et al., 2018) with TF-Slim's API and names: nasnet_cifar,
nasnet_mobile, nasnet_large.

A net is a stem, `num_cells` normal cells with two reduction cells at a third
and two thirds of the way (each doubling the filters), an auxiliary head
(training only) and a global-pool classifier in `final_layer`. The cells are
the tables of `nasnet_utils`; the configurations below are TF-Slim's, as
`Config` objects (`config.set_hparam('use_aux_head', 0)` as with HParams).
`data_format='NCHW'` builds the same variables channels-first (the input stays
NHWC and is transposed; the end points are NCHW).
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets.nasnet import nasnet_utils as utils
from nets.nasnet.config import Config


def cifar_config():
  return Config(stem_multiplier=3.0, drop_path_keep_prob=0.6, num_cells=18, use_aux_head=1,
                num_conv_filters=32, dense_dropout_keep_prob=1.0, filter_scaling_rate=2.0,
                num_reduction_layers=2, data_format='NHWC', skip_reduction_layer_input=0,
                total_training_steps=937500, use_bounded_activation=False)


def mobile_imagenet_config():
  return Config(stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=12,
                filter_scaling_rate=2.0, drop_path_keep_prob=1.0, num_conv_filters=44,
                use_aux_head=1, num_reduction_layers=2, data_format='NHWC',
                skip_reduction_layer_input=0, total_training_steps=250000,
                use_bounded_activation=False)


def large_imagenet_config():
  return Config(stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=18,
                filter_scaling_rate=2.0, num_conv_filters=168, drop_path_keep_prob=0.7,
                use_aux_head=1, num_reduction_layers=2, data_format='NHWC',
                skip_reduction_layer_input=1, total_training_steps=250000,
                use_bounded_activation=False)


def _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
  batch_norm = {'decay': batch_norm_decay, 'epsilon': batch_norm_epsilon, 'scale': True,
                'fused': True}
  regularizer = scopes.l2_regularizer(weight_decay)
  # TF-Slim's: a truncated normal of variance 2 / fan_out.
  initializer = slim.variance_scaling_initializer(mode='FAN_OUT')
  return scopes.merge(
      scopes.scope_for([slim.fully_connected, slim.conv2d, slim.separable_conv2d],
                       weights_regularizer=regularizer, weights_initializer=initializer),
      scopes.scope_for([slim.fully_connected], activation_fn=None, scope='FC'),
      scopes.scope_for([slim.conv2d, slim.separable_conv2d], activation_fn=None,
                       biases_initializer=None),
      scopes.scope_for([slim.batch_norm], **batch_norm))


def nasnet_cifar_arg_scope(weight_decay=5e-4, batch_norm_decay=0.9, batch_norm_epsilon=1e-5):
  """Defaults for NASNet on CIFAR: no activations or biases in the convolutions
  (the cells place ReLU and batch norm), fan-out initialization, L2 decay."""
  return _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_mobile_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997, batch_norm_epsilon=1e-3):
  """Defaults for NASNet-A Mobile (as `nasnet_cifar_arg_scope`)."""
  return _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_large_arg_scope(weight_decay=5e-5, batch_norm_decay=0.9997, batch_norm_epsilon=1e-3):
  """Defaults for NASNet-A Large (as `nasnet_cifar_arg_scope`)."""
  return _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def build_aux_head(net, end_points, num_classes, config, scope):
  """The auxiliary classifier: 5x5/3 average pool, 1x1 to 128, a convolution
  over the whole map to 768, a fully connected layer."""
  activation = utils.activation_fn(config.use_bounded_activation)
  with tf.compat.v1.variable_scope(scope):
    with tf.compat.v1.variable_scope('aux_logits'):
      aux = slim.avg_pool2d(net, [5, 5], stride=3, padding='VALID')
      aux = slim.conv2d(aux, 128, [1, 1], scope='proj')
      aux = activation(slim.batch_norm(aux, scope='aux_bn0'))
      spatial = aux.shape[1:3] if config.data_format == 'NHWC' else aux.shape[2:4]
      aux = slim.conv2d(aux, 768, spatial, padding='VALID', scope='Conv')
      aux = activation(slim.batch_norm(aux, scope='aux_bn1'))
      aux = slim.fully_connected(slim.flatten(aux), num_classes, scope='FC')
      end_points['AuxLogits'] = aux


def imagenet_stem(inputs, config, stem_cell, current_step=None):
  """A strided 3x3 convolution, then two reduction cells at a quarter and a half of
  the filters."""
  net = slim.conv2d(inputs, int(32 * config.stem_multiplier), [3, 3], stride=2, scope='conv0',
                    padding='VALID')
  net = slim.batch_norm(net, scope='conv0_bn')
  cell_outputs = [None, net]
  filter_scaling = 1.0 / (config.filter_scaling_rate ** 2)
  for cell_num in range(2):
    net = stem_cell(net, scope='cell_stem_{}'.format(cell_num), filter_scaling=filter_scaling,
                    stride=2, prev_layer=cell_outputs[-2], cell_num=cell_num,
                    current_step=current_step)
    cell_outputs.append(net)
    filter_scaling *= config.filter_scaling_rate
  return net, cell_outputs


def cifar_stem(inputs, config):
  net = slim.conv2d(inputs, int(config.num_conv_filters * config.stem_multiplier), 3,
                    scope='l1_stem_3x3')
  net = slim.batch_norm(net, scope='l1_stem_bn')
  return net, [None, net]


class EndPoints(dict):
  """end_points that say when `final_endpoint` is reached."""

  def __init__(self, final_endpoint):
    super().__init__()
    self.final_endpoint = final_endpoint

  def add(self, name, net):
    self[name] = net
    return name == self.final_endpoint


def classifier(net, end_points, num_classes, config):
  """`final_layer`: ReLU, global average pool, dropout, fully connected, softmax."""
  with tf.compat.v1.variable_scope('final_layer'):
    net = utils.global_avg_pool(utils.activation_fn(config.use_bounded_activation)(net))
    if end_points.add('global_pool', net) or not num_classes:
      return net, dict(end_points)
    net = slim.dropout(net, config.dense_dropout_keep_prob, scope='dropout')
    logits = slim.fully_connected(net, num_classes)
    if end_points.add('Logits', logits):
      return logits, dict(end_points)
    end_points.add('Predictions', tf.nn.softmax(logits, name='predictions'))
  return logits, dict(end_points)


def _build_nasnet_base(images, normal_cell, reduction_cell, num_classes, config, is_training,
                       final_endpoint, current_step, stem_type):
  end_points = EndPoints(final_endpoint)
  reduction_indices = utils.calc_reduction_layers(config.num_cells, config.num_reduction_layers)
  if stem_type == 'imagenet':
    net, cell_outputs = imagenet_stem(images, config, reduction_cell, current_step)
  else:
    net, cell_outputs = cifar_stem(images, config)
  if end_points.add('Stem', net):
    return net, dict(end_points)
  aux_cells = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
  filter_scaling = 1.0
  true_cell_num = 2 if stem_type == 'imagenet' else 0
  prev_layer = None
  for cell_num in range(config.num_cells):
    if config.skip_reduction_layer_input:
      prev_layer = cell_outputs[-2]
    if cell_num in reduction_indices:
      filter_scaling *= config.filter_scaling_rate
      index = reduction_indices.index(cell_num)
      net = reduction_cell(net, scope='reduction_cell_{}'.format(index),
                           filter_scaling=filter_scaling, stride=2, prev_layer=cell_outputs[-2],
                           cell_num=true_cell_num, current_step=current_step)
      if end_points.add('Reduction_Cell_{}'.format(index), net):
        return net, dict(end_points)
      true_cell_num += 1
      cell_outputs.append(net)
    if not config.skip_reduction_layer_input:
      prev_layer = cell_outputs[-2]
    net = normal_cell(net, scope='cell_{}'.format(cell_num), filter_scaling=filter_scaling,
                      stride=1, prev_layer=prev_layer, cell_num=true_cell_num,
                      current_step=current_step)
    if end_points.add('Cell_{}'.format(cell_num), net):
      return net, dict(end_points)
    true_cell_num += 1
    if config.use_aux_head and cell_num in aux_cells and num_classes and is_training:
      aux_input = utils.activation_fn(config.use_bounded_activation)(net)
      build_aux_head(aux_input, end_points, num_classes, config, 'aux_{}'.format(cell_num))
    cell_outputs.append(net)
  return classifier(net, end_points, num_classes, config)


# The ops that take the config's data format from the arg_scope.
_LAYOUT_OPS = [slim.avg_pool2d, slim.max_pool2d, slim.conv2d, slim.batch_norm,
               slim.separable_conv2d, utils.factorized_reduction, utils.global_avg_pool,
               utils.get_channel_index, utils.get_channel_dim]


def build(base_fn, cell_defs, images, num_classes, is_training, final_endpoint, config,
          current_step, stem_cells, reuse, **base_kwargs):
  """Cells from `cell_defs` for a copy of `config` (the caller's stays as it is),
  and `base_fn` under the training mode and data format. Without training there
  is no drop path. `reuse` shares the variables of an earlier call (the nets
  have no scope of their own)."""
  config = Config(config)
  if not is_training:
    config.drop_path_keep_prob = 1.0
  utils.get_channel_index(data_format=config.data_format)  # refuses a format that is neither
  if config.data_format == 'NCHW':
    images = tf.transpose(images, [0, 3, 1, 2])
  total_num_cells = config.num_cells + 2 + stem_cells
  cells = [utils.Cell(cell_def, config.num_conv_filters, config.drop_path_keep_prob,
                      total_num_cells, config.total_training_steps,
                      config.use_bounded_activation) for cell_def in cell_defs]
  with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(), reuse=reuse):
    with scopes.arg_scope([slim.dropout, utils.drop_path, slim.batch_norm],
                          is_training=is_training), \
        scopes.arg_scope(_LAYOUT_OPS, data_format=config.data_format):
      return base_fn(images, *cells, num_classes=num_classes, config=config,
                     is_training=is_training, final_endpoint=final_endpoint,
                     current_step=current_step, **base_kwargs)


_NASNET_CELLS = (utils.NASNET_A_NORMAL, utils.NASNET_A_REDUCTION)


@registry.register('nasnet_cifar', arg_scope=nasnet_cifar_arg_scope, num_classes=1001,
                   preprocessing='cifarnet',
                   logits_scopes=('final_layer/FC', 'aux_11/aux_logits/FC'),
                   default_image_size=32)
def build_nasnet_cifar(images, num_classes, is_training=True, config=None, current_step=None,
                       reuse=None):
  """NASNet-A for CIFAR-10 (32x32 inputs)."""
  return build(_build_nasnet_base, _NASNET_CELLS, images, num_classes, is_training, None,
               config or cifar_config(), current_step, 0, reuse, stem_type='cifar')


# The config that --drop_path_keep_prob changes (engine.model_building).
build_nasnet_cifar.default_config = cifar_config


@registry.register('nasnet_mobile', arg_scope=nasnet_mobile_arg_scope, num_classes=1001,
                   preprocessing='inception',
                   logits_scopes=('final_layer/FC', 'aux_7/aux_logits/FC'),
                   checkpoint='nasnet-a_mobile_04_10_2017.tar.gz',
                   published_top1=74.0, published_top5=91.6,
                   default_image_size=224)
def build_nasnet_mobile(images, num_classes, is_training=True, final_endpoint=None, config=None,
                        current_step=None, reuse=None):
  """NASNet-A Mobile (224x224 inputs)."""
  return build(_build_nasnet_base, _NASNET_CELLS, images, num_classes, is_training,
               final_endpoint, config or mobile_imagenet_config(), current_step, 2, reuse,
               stem_type='imagenet')


# The config that --drop_path_keep_prob changes (engine.model_building).
build_nasnet_mobile.default_config = mobile_imagenet_config


@registry.register('nasnet_large', arg_scope=nasnet_large_arg_scope, num_classes=1001,
                   preprocessing='inception',
                   logits_scopes=('final_layer/FC', 'aux_11/aux_logits/FC'),
                   checkpoint='nasnet-a_large_04_10_2017.tar.gz',
                   published_top1=82.7, published_top5=96.2,
                   default_image_size=331)
def build_nasnet_large(images, num_classes, is_training=True, final_endpoint=None, config=None,
                       current_step=None, reuse=None):
  """NASNet-A Large (331x331 inputs)."""
  return build(_build_nasnet_base, _NASNET_CELLS, images, num_classes, is_training,
               final_endpoint, config or large_imagenet_config(), current_step, 2, reuse,
               stem_type='imagenet')


# The config that --drop_path_keep_prob changes (engine.model_building).
build_nasnet_large.default_config = large_imagenet_config
