"""arg_scope semantics: TF-Slim's, on TF-Slim's own stack."""

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import scopes


@scopes.add_arg_scope
def op(a=1, b=2, c=3):
  return {'a': a, 'b': b, 'c': c}


@scopes.add_arg_scope
def other(a=10, d=40):
  return {'a': a, 'd': d}


def plain(a=1):
  return a


def test_defaults_reach_the_op():
  assert op() == {'a': 1, 'b': 2, 'c': 3}
  with scopes.arg_scope([op], a=5):
    assert op() == {'a': 5, 'b': 2, 'c': 3}
  assert op() == {'a': 1, 'b': 2, 'c': 3}


def test_nesting_merges_inner_overrides_and_explicit_wins():
  with scopes.arg_scope([op, other], a=5):
    with scopes.arg_scope([op], b=6, a=7):
      assert op() == {'a': 7, 'b': 6, 'c': 3}
      assert other() == {'a': 5, 'd': 40}
      assert op(a=0, c=9) == {'a': 0, 'b': 6, 'c': 9}
    assert op() == {'a': 5, 'b': 2, 'c': 3}


def test_yielded_scope_is_reentered_later():
  with scopes.arg_scope([op], a=5):
    with scopes.arg_scope([other], d=8) as sc:
      pass
  assert op() == {'a': 1, 'b': 2, 'c': 3}
  with scopes.arg_scope([op], c=99):
    with scopes.arg_scope(sc):  # replaces what is in force, as in TF-Slim
      assert op() == {'a': 5, 'b': 2, 'c': 3}
      assert other() == {'a': 10, 'd': 8}
  assert scopes.current_arg_scope() == {}


def test_current_arg_scope_holds_the_op_keys():
  with scopes.arg_scope([op], a=5):
    assert scopes.current_arg_scope() == {
        scopes.arg_scope_func_key(op): {'a': 5}}
  assert scopes.has_arg_scope(op)
  assert not scopes.has_arg_scope(plain)
  assert set(scopes.arg_scoped_arguments(op)) == {'a', 'b', 'c'}


def test_undecorated_op_is_a_clear_error():
  with pytest.raises(ValueError, match=r'plain is not decorated with '
                     r'@add_arg_scope.*scopes.add_arg_scope'):
    with scopes.arg_scope([plain], a=2):
      pass
  assert scopes.current_arg_scope() == {}


def test_bad_arguments_are_errors():
  with pytest.raises(TypeError, match='list/tuple'):
    with scopes.arg_scope(op, a=1):
      pass
  with pytest.raises(ValueError, match='kwargs must be empty'):
    with scopes.arg_scope({}, a=1):
      pass
  with pytest.raises(TypeError, match='not 3'):
    scopes.add_arg_scope(3)


def test_stack_is_shared_with_tf_slim(graph):
  # slim.conv2d under our arg_scope ...
  with scopes.arg_scope([slim.conv2d], weights_initializer=tf.compat.v1
                        .constant_initializer(0.5), activation_fn=None,
                        biases_initializer=None):
    out = slim.conv2d(tf.ones([1, 3, 3, 2]), 1, [3, 3], padding='VALID')
  # ... and our op under tf_slim's arg_scope.
  with slim.arg_scope([op], b=20):
    assert op() == {'a': 1, 'b': 20, 'c': 3}
    assert slim.current_arg_scope() is scopes.current_arg_scope()
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    np.testing.assert_allclose(sess.run(out), [[[[9.0]]]])  # 3*3*2 * 0.5
