"""Keras layer classes under arg_scope (Keras 3 and tf_keras)."""

import keras
import numpy as np
import pytest
import tf_keras
import tf_slim as slim

import scopes


@keras.saving.register_keras_serializable(package='scopes_test')
class Scaled(keras.layers.Layer):
  """Relies on Keras 3's automatic get_config (recorded in __new__)."""

  def __init__(self, factor=1.0, **kwargs):
    super().__init__(**kwargs)
    self.factor = factor

  def call(self, x):
    return x * self.factor


class MyDense(keras.layers.Dense):
  pass


def test_keras3_layers_take_defaults_and_keep_their_config():
  fresh = keras.layers.Conv2D(8, 3).get_config()
  with scopes.arg_scope([keras.layers.Conv2D, keras.layers.Dense],
                        kernel_initializer='he_normal', use_bias=False):
    with scopes.arg_scope([keras.layers.Conv2D], padding='same'):
      conv = keras.layers.Conv2D(8, 3)
      dense = keras.layers.Dense(4, use_bias=True)  # explicit wins
  assert isinstance(conv, keras.layers.Conv2D)
  config = conv.get_config()
  assert config['padding'] == 'same'
  assert config['use_bias'] is False
  assert config['kernel_initializer']['class_name'] == 'HeNormal'
  assert config['filters'] == 8 and config['kernel_size'] == (3, 3)
  assert dense.get_config()['use_bias'] is True
  assert dense.get_config()['kernel_initializer']['class_name'] == 'HeNormal'
  # Outside any scope the class behaves exactly as before.
  after = keras.layers.Conv2D(8, 3).get_config()
  after.pop('name'), fresh.pop('name')
  assert after == fresh
  # The config round-trips through the class.
  clone = keras.layers.Conv2D.from_config(config)
  assert clone.get_config() == config


def test_positional_argument_beats_the_scope_default():
  with scopes.arg_scope([keras.layers.Conv2D], kernel_size=5, strides=2):
    conv = keras.layers.Conv2D(8, 3)
    wide = keras.layers.Conv2D(8)
  assert conv.get_config()['kernel_size'] == (3, 3)
  assert conv.get_config()['strides'] == (2, 2)
  assert wide.get_config()['kernel_size'] == (5, 5)


def test_subclasses_are_separate_ops():
  with scopes.arg_scope([keras.layers.Dense], use_bias=False):
    mine = MyDense(3)
    base = keras.layers.Dense(3)
  assert mine.get_config()['use_bias'] is True
  assert base.get_config()['use_bias'] is False
  with scopes.arg_scope([MyDense], units=7):
    assert MyDense().units == 7


def test_automatic_config_sees_the_defaults():
  with scopes.arg_scope([Scaled], factor=3.0):
    layer = Scaled()
  assert layer.factor == 3.0
  assert layer.get_config()['factor'] == 3.0
  np.testing.assert_allclose(layer(np.ones((1, 2), 'float32')), [[3.0, 3.0]])


def test_model_with_scoped_layers_saves_and_loads(tmp_path):
  with scopes.arg_scope([keras.layers.Dense], activation='relu',
                        kernel_initializer=keras.initializers.Constant(0.1)):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              Scaled(factor=2.0), keras.layers.Dense(2)])
  path = str(tmp_path / 'model.keras')
  model.save(path)
  loaded = keras.models.load_model(path)
  x = np.arange(8, dtype='float32').reshape(2, 4)
  np.testing.assert_allclose(loaded.predict(x, verbose=0),
                             model.predict(x, verbose=0), rtol=1e-6)
  assert loaded.layers[0].get_config()['activation'] == 'relu'
  assert loaded.layers[0].get_config() == model.layers[0].get_config()


def test_tf_keras_layers_and_tf_slims_own_arg_scope():
  with scopes.arg_scope([tf_keras.layers.Dense], use_bias=False):
    layer = tf_keras.layers.Dense(3)
  assert isinstance(layer, tf_keras.layers.Dense)
  assert layer.get_config()['use_bias'] is False
  assert tf_keras.layers.Dense(3).get_config()['use_bias'] is True
  # Once armed, a class is an op of the shared stack: tf_slim's scope works.
  with slim.arg_scope([tf_keras.layers.Dense], units=9):
    assert tf_keras.layers.Dense().units == 9


def test_a_class_that_is_not_a_layer_is_refused():
  with pytest.raises(ValueError, match='dict is not decorated'):
    with scopes.arg_scope([dict], x=1):
      pass
  with pytest.raises(TypeError, match='not a Keras layer class'):
    scopes.layer_classes.arm(dict)
