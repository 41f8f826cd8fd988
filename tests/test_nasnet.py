"""NASNet and PNASNet: the cell tables, end points, the auxiliary head and drop path."""

import pytest
import tensorflow as tf

import scopes
from nets.nasnet import nasnet, nasnet_utils, pnasnet


def build(fn, arg_scope, size, **kwargs):
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, [2, size, size, 3])
    with scopes.arg_scope(arg_scope()):
      net, end_points = fn(images, **kwargs)
  return graph, net, end_points


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
  small = nasnet.Config(nasnet.cifar_config(), num_cells=6)  # the cifar net, fewer cells
  graph, logits, end_points = build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32,
                                    num_classes=10, is_training=True, config=small)
  assert logits.shape.as_list() == [2, 10]
  assert end_points['AuxLogits'].shape.as_list() == [2, 10]
  names = {v.op.name for v in graph.get_collection('variables')}
  assert 'cell_0/comb_iter_0/left/global_step' in names  # where TF-Slim creates it
  _, _, end_points = build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32,
                           num_classes=10, is_training=False, config=small)
  assert 'AuxLogits' not in end_points


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
