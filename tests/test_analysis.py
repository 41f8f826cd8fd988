"""python -m nets list / explain, and the counts they print."""

import numpy as np
import pytest

import nets_reference as ref
from nets import __main__ as cli
from nets import analysis


def _trainable_parameters(name):
  manifest = ref.manifest(name)
  frozen = set(manifest['non_trainable_variables'])
  return sum(int(np.prod(s)) for n, s, _ in manifest['variables'] if n not in frozen)


def test_parameters_and_multiply_adds_of_lenet():
  graph, _ = analysis.build('lenet')
  assert analysis.count_parameters(graph) == _trainable_parameters('lenet')
  # conv1 5x5x3->32 at 28x28, conv2 5x5x32->64 at 14x14, fc3 3136->1024, fc4 1024->1001
  expected = 28 * 28 * 32 * 75 + 14 * 14 * 64 * 800 + 3136 * 1024 + 1024 * 1001
  assert analysis.count_multiply_adds(graph) == expected


def test_summary_of_inception_v3_matches_the_checkpoint():
  row = analysis.summary('inception_v3')
  assert row['parameters'] == _trainable_parameters('inception_v3')
  assert 5.6e9 < row['multiply_adds'] < 5.8e9  # published: 5.7 G multiply-adds
  assert (row['image_size'], row['num_classes']) == (299, 1001)


@pytest.mark.parametrize('name, published_params, published_mult_adds', [
    # The MobileNet v1 paper and TF-Slim's table, all at 224 x 224.
    ('mobilenet_v1', 4.24e6, 569e6),
    ('mobilenet_v1_075', 2.59e6, 317e6),
    ('mobilenet_v1_050', 1.34e6, 150e6),
    ('mobilenet_v1_025', 0.47e6, 41e6),
    # TF-Slim's MobileNet v2 table; its parameter counts leave out batch norm's
    # beta and gamma (about 36 K at depth 1.0), ours count them.
    ('mobilenet_v2', 3.47e6, 300e6),
    ('mobilenet_v2_140', 6.06e6, 585e6),
    ('mobilenet_v2_035', 1.66e6, 59e6),
    # The MobileNet v3 paper (large 219 M multiply-adds, small 56 M); TF-Slim's
    # table for the minimalistic large and the EdgeTPU models.
    ('mobilenet_v3_large', 5.48e6, 219e6),
    ('mobilenet_v3_small', 2.54e6, 56e6),
    ('mobilenet_v3_large_minimalistic', 3.93e6, 209e6),
    ('mobilenet_edgetpu', 4.09e6, 990e6),
    ('mobilenet_edgetpu_075', 2.99e6, 624e6),
    # The NASNet and PNASNet papers' mobile models.
    ('nasnet_mobile', 5.3e6, 564e6),
    ('pnasnet_mobile', 5.1e6, 588e6),
])
def test_mobile_models_match_the_published_figures(name, published_params, published_mult_adds):
  row = analysis.summary(name)
  assert row['parameters'] == _trainable_parameters(name)
  assert abs(row['parameters'] / published_params - 1) < 0.015
  assert abs(row['multiply_adds'] / published_mult_adds - 1) < 0.05


def test_explain_marks_written_and_scoped_arguments():
  calls = analysis.explain('lenet')
  conv1 = calls[0]
  assert (conv1.op, conv1.scope, conv1.depth) == ('slim.conv2d', 'LeNet/conv1', 0)
  assert conv1.written['num_outputs'] == 32
  assert conv1.written['kernel_size'] == [5, 5]
  value, origin = conv1.scoped['weights_initializer']
  assert origin == 'lenet_arg_scope()'
  assert 'truncated' in str(analysis.format_value(value)).lower()
  assert [c.op for c in calls].count('slim.fully_connected') == 2


def test_cli(capsys):
  assert cli.main(['list', 'lenet,cifarnet']) == 0
  out = capsys.readouterr().out.splitlines()
  assert out[0].split()[:3] == ['model', 'size', 'classes']
  assert [line.split()[0] for line in out[1:]] == ['cifarnet', 'lenet']
  lenet = out[2].split()
  assert lenet[1:3] == ['28', '1001']
  assert float(lenet[3]) == round(_trainable_parameters('lenet') / 1e6, 2)
  assert cli.main(['explain', 'lenet']) == 0
  text = capsys.readouterr().out
  assert 'LeNet/conv1  slim.conv2d' in text and '<- lenet_arg_scope()' in text
  assert cli.main(['explain', 'lenett']) == 2
  assert "unknown model 'lenett'; did you mean lenet" in capsys.readouterr().err
