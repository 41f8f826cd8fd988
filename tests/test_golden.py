"""Every registered net still computes its golden values (tests/data/golden/golden.json).

The values were recorded by tests/make_golden.py from the code before the nets were refactored:
the same small input, weights drawn from a seed per variable name (so the order in which a net
creates its variables does not matter), its logits whole and the statistics of a few end points.
A refactor that changes what a net computes fails here; one that only moves code passes.
"""

import numpy as np
import pytest

import make_golden
from nets import registry

GOLDEN = make_golden.load()['models']
MODELS = registry.list_models()

# Last-digit differences only: oneDNN picks its kernels by CPU, and a 200-layer net carries
# float32 rounding forward; anything a code change causes is far larger.
RTOL = 1e-5


def assert_close(actual, expected, what, scale):
  """`actual` equals `expected` within RTOL, and within RTOL of `scale` for values near 0."""
  np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def test_every_registered_model_has_golden_values():
  missing = sorted(set(MODELS) - set(GOLDEN))
  assert not missing, 'no golden values for %s; run python tests/make_golden.py' % missing
  assert not sorted(set(GOLDEN) - set(MODELS)), 'golden values of unregistered models'


@pytest.mark.parametrize('name', MODELS)
def test_logits_and_end_points_equal_the_golden_values(name):
  if name not in GOLDEN:
    pytest.fail('no golden values for %s; run python tests/make_golden.py %s' % (name, name))
  golden = GOLDEN[name]
  logits, end_points = make_golden.build_and_run(
      name, golden['input_shape'], golden['num_classes'], list(golden['end_points']))

  assert list(logits.shape) == golden['logits_shape']
  expected = np.array(golden['logits'])
  assert_close(logits.ravel(), expected, name + ' logits', np.abs(expected).max())
  for end_point, stats in golden['end_points'].items():
    actual = make_golden.statistics(end_points[end_point])
    assert actual['shape'] == stats['shape'], end_point
    keys = ['mean', 'std', 'min', 'max']
    assert_close([actual[k] for k in keys], [stats[k] for k in keys],
                 '%s %s %s' % (name, end_point, keys), max(abs(stats['min']), abs(stats['max'])))
