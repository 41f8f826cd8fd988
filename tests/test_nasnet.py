"""NASNet and PNASNet: the cell tables, end points, the auxiliary head, drop path,
the configs (TF-Slim's HParams interface), bounded activations and NCHW."""

import copy

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import scopes
from nets.nasnet import config as config_lib
from nets.nasnet import nasnet, nasnet_utils, pnasnet
from tests import seeded_weights

# TF-Slim's fields, the same for every config of nasnet.py and pnasnet.py.
FIELDS = {'stem_multiplier', 'drop_path_keep_prob', 'num_cells', 'use_aux_head',
          'num_conv_filters', 'dense_dropout_keep_prob', 'filter_scaling_rate',
          'num_reduction_layers', 'data_format', 'skip_reduction_layer_input',
          'total_training_steps', 'use_bounded_activation'}


def build(fn, arg_scope, size, **kwargs):
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [2, size, size, 3])
    with scopes.arg_scope(arg_scope()):
      net, end_points = fn(images, **kwargs)
  return graph, net, end_points


class Run:
  """A net built and run once on seeded weights: its variables, ops and outputs."""

  def __init__(self, fn, arg_scope, size, config, is_training=True, num_classes=10):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.compat.v1.placeholder(tf.float32, [1, size, size, 3])
      with scopes.arg_scope(arg_scope()):
        logits, end_points = fn(images, num_classes, is_training=is_training, config=config)
      self.variables = {v.op.name: v.shape.as_list()
                        for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)}
      self.op_types = [op.type for op in graph.get_operations()]
      self.op_names = {op.name for op in graph.get_operations()}
      self.shapes = {name: t.shape.as_list() for name, t in end_points.items()}
      fetches = {'logits': logits, **{k: end_points[k] for k in ('AuxLogits',) if k in end_points}}
      with tf.compat.v1.Session(graph=graph) as session:
        seeded_weights.assign_in_session(session, graph)
        feed = np.random.default_rng(0).uniform(-1, 1, [1, size, size, 3]).astype('float32')
        self.outputs = session.run(fetches, {images: feed})


def tiny_cifar(**fields):
  """The cifar net with three cells of 8 filters, no random drop path: cheap and deterministic."""
  return nasnet.Config(nasnet.cifar_config(), num_cells=3, num_conv_filters=8,
                       drop_path_keep_prob=1.0, **fields)


def run_cifar(**fields):
  return Run(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32, tiny_cifar(**fields))


@pytest.fixture(scope='module')
def cifar():
  """The default mode (NHWC, ReLU, aux head) in training: the reference for the others."""
  return run_cifar()


def test_cell_tables_are_consistent():
  for cell in (nasnet_utils.NASNET_A_NORMAL, nasnet_utils.NASNET_A_REDUCTION,
               nasnet_utils.PNASNET_NORMAL):
    combinations = len(cell.operations) // 2
    assert len(cell.hiddenstate_indices) == len(cell.operations)
    assert len(cell.used_hiddenstates) == 2 + combinations
    # Each operation reads an input or an earlier combination.
    for k, index in enumerate(cell.hiddenstate_indices):
      assert index < 2 + k // 2
  assert nasnet_utils.calc_reduction_layers(18, 2) == [6, 12]


def test_training_adds_the_aux_head_and_drop_path():
  small = nasnet.Config(tiny_cifar(), drop_path_keep_prob=0.6)
  graph, logits, end_points = build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32,
                                    num_classes=10, is_training=True, config=small)
  assert logits.shape.as_list() == [2, 10]
  assert end_points['AuxLogits'].shape.as_list() == [2, 10]
  names = {v.op.name for v in graph.get_collection('variables')}
  assert 'cell_0/comb_iter_0/left/global_step' in names  # where TF-Slim creates it
  _, _, end_points = build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32,
                           num_classes=10, is_training=False, config=small)
  assert 'AuxLogits' not in end_points
  assert small.drop_path_keep_prob == 0.6  # building worked on a copy


def test_final_endpoint_stops_early():
  _, net, end_points = build(pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope, 224,
                             num_classes=5, is_training=False, final_endpoint='Cell_3')
  assert net.shape.as_list() == [2, 14, 14, 540]
  assert 'Cell_4' not in end_points and 'Logits' not in end_points


def test_unknown_operation_is_refused():
  cell = nasnet_utils.Cell(nasnet_utils.CellDef(('conv_9x9', 'none'), (1, 0, 0), (0, 1)), 8, 1.0,
                           4, 100)
  with tf.Graph().as_default(), pytest.raises(ValueError, match="unknown cell operation "
                                              "'conv_9x9'"):
    cell(tf.zeros([1, 8, 8, 8]), scope='cell')


def test_arg_scope_initializes_as_tf_slim():
  # TF-Slim's variance_scaling_initializer(mode='FAN_OUT'): a truncated normal of
  # stddev sqrt(1.3 * 2 / fan_out), so a variance of 2 / fan_out.
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    with scopes.arg_scope(nasnet.nasnet_mobile_arg_scope()):
      slim.conv2d(tf.zeros([1, 8, 8, 64]), 64, 3, scope='conv')
    (weights,) = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES, 'conv/weights')
    with tf.compat.v1.Session(graph=graph) as session:
      session.run(tf.compat.v1.global_variables_initializer())
      weights = session.run(weights)
  assert abs(weights.std() / np.sqrt(2.0 / (3 * 3 * 64)) - 1) < 0.03


# Configs: TF-Slim's HParams interface.

def test_every_config_has_tf_slims_fields_and_values():
  configs = {'cifar': nasnet.cifar_config(), 'mobile': nasnet.mobile_imagenet_config(),
             'large': nasnet.large_imagenet_config(),
             'pnas_mobile': pnasnet.mobile_imagenet_config(),
             'pnas_large': pnasnet.large_imagenet_config()}
  for config in configs.values():
    assert isinstance(config, config_lib.Config)
    assert set(config.values()) == FIELDS
    assert config.data_format == 'NHWC' and config.use_bounded_activation is False
  picked = {name: (c.num_cells, c.num_conv_filters, c.drop_path_keep_prob,
                   c.skip_reduction_layer_input, c.total_training_steps)
            for name, c in configs.items()}
  assert picked == {'cifar': (18, 32, 0.6, 0, 937500), 'mobile': (12, 44, 1.0, 0, 250000),
                    'large': (18, 168, 0.7, 1, 250000), 'pnas_mobile': (9, 54, 1.0, 1, 250000),
                    'pnas_large': (12, 216, 0.6, 1, 250000)}


def test_config_set_hparam_values_and_copies():
  config = nasnet.cifar_config()
  config.set_hparam('use_aux_head', 0)
  config.set_hparam('stem_multiplier', 2)  # an int widens to the field's float
  config.num_cells = 6  # attribute assignment is set_hparam
  assert (config.use_aux_head, config.num_cells) == (0, 6)
  assert config.stem_multiplier == 2.0 and isinstance(config.stem_multiplier, float)
  values = config.values()
  assert isinstance(values, dict) and values['use_aux_head'] == 0
  values['num_cells'] = 99  # values() is a copy
  assert config.num_cells == 6
  assert nasnet.cifar_config().use_aux_head == 1  # the defaults did not change
  duplicate = copy.deepcopy(config)
  duplicate.set_hparam('num_cells', 9)
  assert config.num_cells == 6 and duplicate != config
  assert nasnet.Config(config) == config and nasnet.Config(config) is not config
  config.add_hparam('aux_head_weight', 0.4)
  assert config.aux_head_weight == 0.4 and 'aux_head_weight' in config
  assert config.override_from_dict({'num_cells': 3}).num_cells == 3
  assert config.get('missing', 'fallback') == 'fallback'


def test_config_errors_name_the_field():
  config = pnasnet.mobile_imagenet_config()
  for error in (KeyError, ValueError):  # HParams raised KeyError; both catch it
    with pytest.raises(error, match=r"^unknown config field 'use_aux_heads'; valid fields: "
                                    r"data_format, dense_dropout_keep_prob, .*use_aux_head, "
                                    r"use_bounded_activation$"):
      config.set_hparam('use_aux_heads', 0)
  with pytest.raises(AttributeError, match="unknown config field 'num_cell';"):
    config.num_cell  # noqa: B018
  with pytest.raises(ValueError, match="config field 'num_cells' is a int; 6.5 is not"):
    config.set_hparam('num_cells', 6.5)
  with pytest.raises(ValueError, match="config field 'use_bounded_activation' is a bool; 1 is"):
    config.set_hparam('use_bounded_activation', 1)
  with pytest.raises(ValueError, match="config field 'num_cells' exists already"):
    config.add_hparam('num_cells', 3)
  with pytest.raises(ValueError, match="'values' cannot be a config field"):
    config.add_hparam('values', 3)
  with tf.Graph().as_default(), pytest.raises(ValueError, match="data_format must be 'NHWC' or "
                                              "'NCHW', not 'CHWN'"):
    nasnet.build_nasnet_cifar(tf.zeros([1, 32, 32, 3]), 10,
                              config=nasnet.Config(tiny_cifar(), data_format='CHWN'))


def test_tf_slim_cell_classes_build_the_tables():
  args = (8, 1.0, 5, 100)
  normal = nasnet_utils.NasNetANormalCell(*args)
  assert isinstance(normal, nasnet_utils.Cell) and type(normal).__name__ == 'NasNetANormalCell'
  assert normal.cell_def == nasnet_utils.NASNET_A_NORMAL
  assert nasnet_utils.NasNetAReductionCell(*args).cell_def == nasnet_utils.NASNET_A_REDUCTION
  pnas = pnasnet.PNasNetNormalCell(*args, use_bounded_activation=True)
  assert pnas.cell_def == nasnet_utils.PNASNET_NORMAL and pnas.use_bounded_activation
  table = nasnet_utils.PNASNET_NORMAL
  base = nasnet_utils.NasNetABaseCell(8, list(table.operations), list(table.used_hiddenstates),
                                      list(table.hiddenstate_indices), *args)
  assert base.cell_def == table


# use_aux_head, use_bounded_activation and data_format against the default mode.

def test_default_mode_has_relu_and_the_aux_head(cifar):
  assert 'Relu' in cifar.op_types and 'Relu6' not in cifar.op_types
  assert not any('clip_by_value' in name for name in cifar.op_names)
  assert any(name.startswith('aux_1/aux_logits/') for name in cifar.variables)
  assert cifar.outputs['logits'].shape == (1, 10) and cifar.outputs['AuxLogits'].shape == (1, 10)


def test_no_aux_head_builds_no_aux_variables_and_the_same_logits(cifar):
  no_aux = run_cifar(use_aux_head=0)
  assert 'AuxLogits' not in no_aux.outputs and 'AuxLogits' not in no_aux.shapes
  assert not any(name.startswith('aux_') for name in no_aux.variables)
  assert no_aux.variables == {name: shape for name, shape in cifar.variables.items()
                              if not name.startswith('aux_')}
  np.testing.assert_array_equal(no_aux.outputs['logits'], cifar.outputs['logits'])


def test_bounded_activation_uses_relu6_and_clips(cifar):
  bounded = run_cifar(use_bounded_activation=True)
  relus = [op for op in bounded.op_types if op.startswith('Relu')]
  assert relus and set(relus) == {'Relu6'}  # as TF-Slim's test: no plain ReLU is left
  clipped = {name.split('/clip_by_value')[0] for name in bounded.op_names
             if name.endswith('/clip_by_value')}
  assert 'cell_0/comb_iter_0/left' in clipped  # a separable stack's output, before the sum
  assert 'cell_0/comb_iter_0/combine/Relu6' in bounded.op_names  # the sums are bounded
  assert {'final_layer/Relu6', 'aux_1/aux_logits/Relu6'} <= bounded.op_names
  assert bounded.variables == cifar.variables
  logits = bounded.outputs['logits']
  assert np.all(np.isfinite(logits)) and not np.allclose(logits, cifar.outputs['logits'])


def test_nchw_builds_the_same_variables_and_logits(cifar):
  # This CPU build (oneDNN) has NCHW kernels for every op here, so the NCHW net also runs.
  nchw = run_cifar(data_format='NCHW')
  assert nchw.variables == cifar.variables
  assert nchw.shapes['Stem'] == [1, 24, 32, 32] and cifar.shapes['Stem'] == [1, 32, 32, 24]
  assert nchw.shapes['Cell_2'] == [1, 192, 8, 8]
  for name in ('logits', 'AuxLogits'):
    np.testing.assert_allclose(nchw.outputs[name], cifar.outputs[name], rtol=1e-4, atol=1e-5)


# nasnet_utils: the data-format functions.

def test_channel_index_and_dim_follow_the_data_format():
  assert nasnet_utils.get_channel_index() == 3
  assert nasnet_utils.get_channel_index(data_format='NCHW') == 1
  assert nasnet_utils.get_channel_dim([1, 5, 6, 7]) == 7
  assert nasnet_utils.get_channel_dim([1, 5, 6, 7], data_format='NCHW') == 5
  with scopes.arg_scope([nasnet_utils.get_channel_index, nasnet_utils.get_channel_dim],
                        data_format='NCHW'):
    assert nasnet_utils.get_channel_index() == 1
    assert nasnet_utils.get_channel_dim(tf.TensorShape([1, 5, 6, 7])) == 5
  with pytest.raises(ValueError, match="data_format must be 'NHWC' or 'NCHW', not 'NWHC'"):
    nasnet_utils.get_channel_index(data_format='NWHC')
  with pytest.raises(ValueError, match='get_channel_dim takes a 4-D shape'):
    nasnet_utils.get_channel_dim([5, 6, 7])


def test_global_avg_pool_and_factorized_reduction_take_the_data_format():
  x = np.random.default_rng(1).normal(size=[1, 6, 6, 5]).astype('float32')
  outputs = {}
  for data_format in ('NHWC', 'NCHW'):
    graph = tf.Graph()
    with graph.as_default():
      net = tf.constant(x if data_format == 'NHWC' else x.transpose(0, 3, 1, 2))
      pooled = nasnet_utils.global_avg_pool(net, data_format=data_format)
      with scopes.arg_scope(nasnet.nasnet_cifar_arg_scope()):
        reduced = nasnet_utils.factorized_reduction(net, 7, 2, data_format=data_format)
      names = sorted(v.op.name for v in graph.get_collection('variables'))
      with tf.compat.v1.Session(graph=graph) as session:
        seeded_weights.assign_in_session(session, graph)
        pooled, reduced = session.run([pooled, reduced])
    outputs[data_format] = (names, pooled, reduced if data_format == 'NHWC'
                            else reduced.transpose(0, 2, 3, 1))
  (names, pooled, reduced), (nchw_names, nchw_pooled, nchw_reduced) = outputs.values()
  assert names == nchw_names and 'path2_conv/weights' in names
  assert reduced.shape == (1, 3, 3, 7)  # 7 = 3 + 4: the odd filter goes to the second path
  np.testing.assert_allclose(pooled, x.mean(axis=(1, 2)), rtol=1e-6)
  np.testing.assert_allclose(nchw_pooled, pooled, rtol=1e-6)
  np.testing.assert_allclose(nchw_reduced, reduced, rtol=1e-4, atol=1e-5)
