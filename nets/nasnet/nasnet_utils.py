"""NASNet-A's cells as data, and the one cell builder that reads them.

A cell is a table: `operations` (two per combination: left and right),
`hiddenstate_indices` (which hidden state each operation reads: 0 and 1 are
the cell's two inputs, 2+ the combinations built so far) and
`used_hiddenstates` (states consumed inside the cell; the rest are
concatenated into the output). `Cell` builds any such table with TF-Slim's
variable names: `comb_iter_<i>/{left,right}/separable_<k>x<k>_<n>`,
`bn_sep_<k>x<k>_<n>`, `1x1`, `bn_1`, and the input adjustments `1x1`,
`beginning_bn`, `prev_1x1`, `prev_bn`, `path1_conv`, `path2_conv`,
`final_path_bn`, `reduction_<i>`.

The data format (NHWC or NCHW) comes from the arg_scope the nets set
(`data_format=` on the slim ops and on this module's functions), so a cell
builds the same variables in either layout. `use_bounded_activation` swaps
ReLU for ReLU6 and clips each operation's output to [-6, 6], which suits
quantized inference.
"""

import collections

import tensorflow as tf
import tf_slim as slim

import scopes

CellDef = collections.namedtuple('CellDef', 'operations used_hiddenstates hiddenstate_indices')

NASNET_A_NORMAL = CellDef(
    operations=('separable_5x5_2', 'separable_3x3_2', 'separable_5x5_2', 'separable_3x3_2',
                'avg_pool_3x3', 'none', 'avg_pool_3x3', 'avg_pool_3x3', 'separable_3x3_2',
                'none'),
    used_hiddenstates=(1, 0, 0, 0, 0, 0, 0),
    hiddenstate_indices=(0, 1, 1, 1, 0, 1, 1, 1, 0, 0))

NASNET_A_REDUCTION = CellDef(
    operations=('separable_5x5_2', 'separable_7x7_2', 'max_pool_3x3', 'separable_7x7_2',
                'avg_pool_3x3', 'separable_5x5_2', 'none', 'avg_pool_3x3', 'separable_3x3_2',
                'max_pool_3x3'),
    used_hiddenstates=(1, 1, 1, 0, 0, 0, 0),
    hiddenstate_indices=(0, 1, 0, 1, 0, 1, 3, 2, 2, 0))

PNASNET_NORMAL = CellDef(
    operations=('separable_5x5_2', 'max_pool_3x3', 'separable_7x7_2', 'max_pool_3x3',
                'separable_5x5_2', 'separable_3x3_2', 'separable_3x3_2', 'max_pool_3x3',
                'separable_3x3_2', 'none'),
    used_hiddenstates=(1, 1, 0, 0, 0, 0, 0),
    hiddenstate_indices=(1, 1, 0, 0, 0, 0, 4, 0, 1, 0))


DATA_FORMAT_NHWC = 'NHWC'
DATA_FORMAT_NCHW = 'NCHW'
# Bounded activations clip each operation's output to [-CAP, CAP] (ReLU6's range).
CLIP_BY_VALUE_CAP = 6


def calc_reduction_layers(num_cells, num_reduction_layers):
  """The cell numbers at which the reduction cells stand."""
  return [int(float(n) / (num_reduction_layers + 1) * num_cells)
          for n in range(1, num_reduction_layers + 1)]


def activation_fn(use_bounded_activation):
  return tf.nn.relu6 if use_bounded_activation else tf.nn.relu


@scopes.add_arg_scope
def get_channel_index(data_format=DATA_FORMAT_NHWC):
  """The channel axis of a 4-D tensor in `data_format`."""
  if data_format not in (DATA_FORMAT_NHWC, DATA_FORMAT_NCHW):
    raise ValueError("data_format must be 'NHWC' or 'NCHW', not %r" % (data_format,))
  return 3 if data_format == DATA_FORMAT_NHWC else 1


@scopes.add_arg_scope
def get_channel_dim(shape, data_format=DATA_FORMAT_NHWC):
  """The number of channels of a 4-D `shape` in `data_format`."""
  if len(shape) != 4:
    raise ValueError('get_channel_dim takes a 4-D shape, not %s' % (shape,))
  return int(shape[get_channel_index(data_format=data_format)])


def _spatial_axes(data_format):
  return (1, 2) if get_channel_index(data_format=data_format) == 3 else (2, 3)


@scopes.add_arg_scope
def global_avg_pool(x, data_format=DATA_FORMAT_NHWC):
  """Averages away the height and width of a 4-D `x`."""
  return tf.reduce_mean(x, list(_spatial_axes(data_format)))


@scopes.add_arg_scope
def factorized_reduction(net, output_filters, stride, data_format=DATA_FORMAT_NHWC):
  """Halves the map with two offset 1x1 paths (stride 2), or a 1x1 convolution."""
  layout = {'data_format': data_format}
  if stride == 1:
    net = slim.conv2d(net, output_filters, 1, scope='path_conv', **layout)
    return slim.batch_norm(net, scope='path_bn', **layout)
  path1 = slim.avg_pool2d(net, [1, 1], stride, padding='VALID', **layout)
  path1 = slim.conv2d(path1, int(output_filters / 2), 1, scope='path1_conv', **layout)
  # The second path starts one pixel later, so the two see different pixels.
  padding, shifted = [[0, 0]] * 4, [slice(None)] * 4
  for axis in _spatial_axes(data_format):
    padding[axis], shifted[axis] = [0, 1], slice(1, None)
  path2 = tf.pad(net, padding)[tuple(shifted)]
  path2 = slim.avg_pool2d(path2, [1, 1], stride, padding='VALID', **layout)
  # An odd count goes to the second path: 27 = 13 + 14.
  path2 = slim.conv2d(path2, output_filters - int(output_filters / 2), 1, scope='path2_conv',
                      **layout)
  net = tf.concat([path1, path2], axis=get_channel_index(data_format=data_format))
  return slim.batch_norm(net, scope='final_path_bn', **layout)


@scopes.add_arg_scope
def drop_path(net, keep_prob, is_training=True):
  """Drops each example's whole path with probability 1 - keep_prob (training only)."""
  if not is_training or (isinstance(keep_prob, (int, float)) and keep_prob >= 1.0):
    return net
  shape = [tf.shape(net)[0], 1, 1, 1]
  mask = tf.floor(keep_prob + tf.random.uniform(shape, dtype=net.dtype))
  return net / keep_prob * mask


def _separable_stack(net, stride, operation, filter_size, activation):
  """`separable_<k>x<k>_<n>`: n times the activation, a kxk separable convolution,
  batch norm."""
  kernel = int(operation.split('_')[1].split('x')[0])
  layers = int(operation.split('_')[-1])
  for layer in range(1, layers + 1):
    net = activation(net)
    net = slim.separable_conv2d(net, filter_size, kernel, depth_multiplier=1,
                                scope='separable_{0}x{0}_{1}'.format(kernel, layer), stride=stride)
    net = slim.batch_norm(net, scope='bn_sep_{0}x{0}_{1}'.format(kernel, layer))
    stride = 1
  return net


def _pooling(net, stride, operation):
  kernel = int(operation.split('_')[-1].split('x')[0])
  pool = slim.avg_pool2d if operation.startswith('avg') else slim.max_pool2d
  return pool(net, kernel, stride=stride, padding='SAME')


class Cell:
  """Builds a `CellDef` with `num_conv_filters` (times the filter scaling).

  `drop_path_keep_prob` < 1 drops paths in training, scaled by the cell's
  depth in the net and by training progress over `total_training_steps`
  (read from the global step, created where TF-Slim creates it).
  `use_bounded_activation` uses ReLU6 and clips the operations' outputs.
  """

  def __init__(self, cell_def, num_conv_filters, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    self.cell_def = cell_def
    self.num_conv_filters = num_conv_filters
    self.drop_path_keep_prob = drop_path_keep_prob
    self.total_num_cells = total_num_cells
    self.total_training_steps = total_training_steps
    self.use_bounded_activation = use_bounded_activation
    self.activation = activation_fn(use_bounded_activation)

  def __call__(self, net, scope=None, filter_scaling=1, stride=1, prev_layer=None, cell_num=-1,
               current_step=None):
    self.filter_size = int(self.num_conv_filters * filter_scaling)
    self.cell_num = cell_num
    cell = self.cell_def
    with tf.compat.v1.variable_scope(scope):
      states = self._base(net, prev_layer)
      for i in range(len(cell.operations) // 2):
        with tf.compat.v1.variable_scope('comb_iter_{}'.format(i)):
          outputs = []
          for side, k in (('left', 2 * i), ('right', 2 * i + 1)):
            index = cell.hiddenstate_indices[k]
            with tf.compat.v1.variable_scope(side):
              outputs.append(self._operation(states[index], cell.operations[k], stride,
                                             index < 2, current_step))
          with tf.compat.v1.variable_scope('combine'):
            combined = outputs[0] + outputs[1]
            states.append(tf.nn.relu6(combined) if self.use_bounded_activation else combined)
      with tf.compat.v1.variable_scope('cell_output'):
        return self._combine_unused(states)

  def _reduce_prev_layer(self, prev_layer, curr_layer):
    if prev_layer is None:
      return curr_layer
    if _width(curr_layer) != _width(prev_layer):
      return factorized_reduction(self.activation(prev_layer), self.filter_size, stride=2)
    if self.filter_size != get_channel_dim(prev_layer.shape):
      prev_layer = slim.conv2d(self.activation(prev_layer), self.filter_size, 1,
                               scope='prev_1x1')
      return slim.batch_norm(prev_layer, scope='prev_bn')
    return prev_layer

  def _base(self, net, prev_layer):
    prev_layer = self._reduce_prev_layer(prev_layer, net)
    net = slim.conv2d(self.activation(net), self.filter_size, 1, scope='1x1')
    net = slim.batch_norm(net, scope='beginning_bn')
    return [net, prev_layer]

  def _operation(self, net, operation, stride, from_input, current_step):
    if stride > 1 and not from_input:
      stride = 1
    input_filters = get_channel_dim(net.shape)
    bounded = self.use_bounded_activation
    if operation.startswith('separable'):
      net = self._clip(_separable_stack(net, stride, operation, self.filter_size,
                                        self.activation))
    elif operation == 'none':
      projects = stride > 1 or input_filters != self.filter_size
      if projects or bounded:  # bounded: the identity is ReLU6 too
        net = self.activation(net)
      if projects:
        net = slim.conv2d(net, self.filter_size, 1, stride=stride, scope='1x1')
        net = self._clip(slim.batch_norm(net, scope='bn_1'))
    elif 'pool' in operation:
      net = _pooling(tf.nn.relu6(net) if bounded else net, stride, operation)
      if input_filters != self.filter_size:
        net = slim.conv2d(net, self.filter_size, 1, stride=1, scope='1x1')
        net = slim.batch_norm(net, scope='bn_1')
      net = self._clip(net)
    else:
      raise ValueError('unknown cell operation %r' % operation)
    if operation != 'none':
      net = self._drop_path(net, current_step)
    return net

  def _clip(self, net):
    if not self.use_bounded_activation:
      return net
    return tf.clip_by_value(net, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP)

  def _drop_path(self, net, current_step):
    keep_prob = self.drop_path_keep_prob
    if keep_prob >= 1.0:
      return net
    # Deeper cells drop more; the rate ramps up over training.
    layer_ratio = (self.cell_num + 1) / float(self.total_num_cells)
    keep_prob = 1 - layer_ratio * (1 - keep_prob)
    if current_step is None:
      current_step = tf.compat.v1.train.get_or_create_global_step()
    progress = tf.minimum(1.0, tf.cast(current_step, tf.float32) / self.total_training_steps)
    keep_prob = 1 - progress * (1 - keep_prob)
    return drop_path(net, keep_prob)

  def _combine_unused(self, states):
    used = self.cell_def.used_hiddenstates
    final_width = _width(states[-1])
    final_filters = get_channel_dim(states[-1].shape)
    for i, is_used in enumerate(used):
      width, filters = _width(states[i]), get_channel_dim(states[i].shape)
      if not is_used and (width != final_width or filters != final_filters):
        with tf.compat.v1.variable_scope('reduction_{}'.format(i)):
          states[i] = factorized_reduction(states[i], final_filters,
                                           2 if width != final_width else 1)
    unused = [h for h, is_used in zip(states, used, strict=True) if not is_used]
    return tf.concat(unused, axis=get_channel_index())


def _width(net):
  """The width of a 4-D `net` in the arg_scope's data format (maps are square)."""
  return net.shape[2] if get_channel_index() == 3 else net.shape[3]


def cell_class(cell_def, name):
  """TF-Slim's class for one cell (`NasNetANormalCell`, ...): `Cell` with the table bound."""

  def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
               total_training_steps, use_bounded_activation=False):
    Cell.__init__(self, cell_def, num_conv_filters, drop_path_keep_prob, total_num_cells,
                  total_training_steps, use_bounded_activation)

  return type(name, (Cell,), {'__init__': __init__, '__doc__': "TF-Slim's %s." % name,
                              '__module__': __name__})


def NasNetABaseCell(num_conv_filters, operations, used_hiddenstates,
                    hiddenstate_indices, drop_path_keep_prob, total_num_cells,
                    total_training_steps, use_bounded_activation=False):
  """TF-Slim's constructor of a cell from its three lists."""
  cell_def = CellDef(tuple(operations), tuple(used_hiddenstates), tuple(hiddenstate_indices))
  return Cell(cell_def, num_conv_filters, drop_path_keep_prob, total_num_cells,
              total_training_steps, use_bounded_activation)


NasNetANormalCell = cell_class(NASNET_A_NORMAL, 'NasNetANormalCell')
NasNetAReductionCell = cell_class(NASNET_A_REDUCTION, 'NasNetAReductionCell')
