"""Every registered net still computes its golden values (tests/data/golden/golden.json).

The values were recorded by tests/make_golden.py from the code before the nets were refactored:
the same small input, weights drawn from a seed per variable name (so the order in which a net
creates its variables does not matter), its logits whole and the statistics of a few end points.
A refactor that changes what a net computes fails here; one that only moves code passes.
"""

import pytest

import make_golden
from nets import registry

GOLDEN = make_golden.load()['models']
MODELS = registry.list_models()


def test_every_registered_model_has_golden_values():
  missing = sorted(set(MODELS) - set(GOLDEN))
  assert not missing, 'no golden values for %s; run python tests/make_golden.py' % missing
  assert not sorted(set(GOLDEN) - set(MODELS)), 'golden values of unregistered models'


@pytest.mark.parametrize('name', MODELS)
def test_logits_and_end_points_equal_the_golden_values(name):
  if name not in GOLDEN:
    pytest.fail('no golden values for %s; run python tests/make_golden.py %s' % (name, name))
  make_golden.assert_equals_golden(name, make_golden.golden_values(name, GOLDEN[name]),
                                   GOLDEN[name])
