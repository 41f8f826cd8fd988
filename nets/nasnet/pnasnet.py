"""PNASNet-5 (Liu et al., 2018) with TF-Slim's API and names: pnasnet_mobile, pnasnet_large.

NASNet's frame with one cell, `PNASNET_NORMAL`, used everywhere: in the stem
and, with stride 2, where NASNet places its reduction cells.
"""

from nets import registry
from nets.nasnet import nasnet
from nets.nasnet import nasnet_utils as utils


def large_imagenet_config():
  return nasnet.Config(stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=12,
                       filter_scaling_rate=2.0, num_conv_filters=216, drop_path_keep_prob=0.6,
                       use_aux_head=1, num_reduction_layers=2, data_format='NHWC',
                       skip_reduction_layer_input=1, total_training_steps=250000,
                       use_bounded_activation=False)


def mobile_imagenet_config():
  return nasnet.Config(stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=9,
                       filter_scaling_rate=2.0, num_conv_filters=54, drop_path_keep_prob=1.0,
                       use_aux_head=1, num_reduction_layers=2, data_format='NHWC',
                       skip_reduction_layer_input=1, total_training_steps=250000,
                       use_bounded_activation=False)


def pnasnet_large_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997, batch_norm_epsilon=0.001):
  """NASNet's defaults with PNASNet-5 Large's weight decay."""
  return nasnet.nasnet_large_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def pnasnet_mobile_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997,
                             batch_norm_epsilon=0.001):
  """NASNet Mobile's defaults."""
  return nasnet.nasnet_mobile_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def _build_pnasnet_base(images, normal_cell, num_classes, config, is_training, final_endpoint,
                        current_step):
  end_points = nasnet.EndPoints(final_endpoint)
  reduction_indices = utils.calc_reduction_layers(config.num_cells, config.num_reduction_layers)
  net, cell_outputs = nasnet.imagenet_stem(images, config, normal_cell, current_step)
  if end_points.add('Stem', net):
    return net, dict(end_points)
  aux_cells = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
  filter_scaling = 1.0
  true_cell_num = 2
  prev_layer = None
  for cell_num in range(config.num_cells):
    is_reduction = cell_num in reduction_indices
    if is_reduction:
      filter_scaling *= config.filter_scaling_rate
    if config.skip_reduction_layer_input or not is_reduction:
      prev_layer = cell_outputs[-2]
    net = normal_cell(net, scope='cell_{}'.format(cell_num), filter_scaling=filter_scaling,
                      stride=2 if is_reduction else 1, prev_layer=prev_layer,
                      cell_num=true_cell_num, current_step=current_step)
    if end_points.add('Cell_{}'.format(cell_num), net):
      return net, dict(end_points)
    true_cell_num += 1
    cell_outputs.append(net)
    if config.use_aux_head and cell_num in aux_cells and num_classes and is_training:
      aux_input = utils.activation_fn(config.use_bounded_activation)(net)
      nasnet.build_aux_head(aux_input, end_points, num_classes, config,
                            'aux_{}'.format(cell_num))
  return nasnet.classifier(net, end_points, num_classes, config)


@registry.register('pnasnet_large', arg_scope=pnasnet_large_arg_scope, num_classes=1001,
                   preprocessing='inception',
                   logits_scopes=('final_layer/FC', 'aux_7/aux_logits/FC'),
                   checkpoint='pnasnet-5_large_2017_12_13.tar.gz',
                   published_top1=82.9, published_top5=96.2,
                   default_image_size=331)
def build_pnasnet_large(images, num_classes, is_training=True, final_endpoint=None, config=None,
                        reuse=None, current_step=None):
  """PNASNet-5 Large (331x331 inputs); `current_step` as NASNet's (default: the global step)."""
  return nasnet.build(_build_pnasnet_base, (utils.PNASNET_NORMAL,), images, num_classes,
                      is_training, final_endpoint, config or large_imagenet_config(),
                      current_step, 0, reuse)


# The config that --drop_path_keep_prob changes (engine.model_building).
build_pnasnet_large.default_config = large_imagenet_config


@registry.register('pnasnet_mobile', arg_scope=pnasnet_mobile_arg_scope, num_classes=1001,
                   preprocessing='inception',
                   logits_scopes=('final_layer/FC', 'aux_5/aux_logits/FC'),
                   checkpoint='pnasnet-5_mobile_2017_12_13.tar.gz',
                   published_top1=74.2, published_top5=91.9,
                   default_image_size=224)
def build_pnasnet_mobile(images, num_classes, is_training=True, final_endpoint=None, config=None,
                         reuse=None, current_step=None):
  """PNASNet-5 Mobile (224x224 inputs); `current_step` as NASNet's (default: the global step)."""
  return nasnet.build(_build_pnasnet_base, (utils.PNASNET_NORMAL,), images, num_classes,
                      is_training, final_endpoint, config or mobile_imagenet_config(),
                      current_step, 0, reuse)


# The config that --drop_path_keep_prob changes (engine.model_building).
build_pnasnet_mobile.default_config = mobile_imagenet_config


PNasNetNormalCell = utils.cell_class(utils.PNASNET_NORMAL, 'PNasNetNormalCell')
