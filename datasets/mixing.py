"""Mixup and CutMix of a batch, with soft labels, as timm's `Mixup` does in its batch mode.

    mix = mixing.make_mix(num_classes=1000, mixup_alpha=0.8, cutmix_alpha=1.0)
    images, soft_labels = mix(images, labels, seed)   # one batch, a stateless seed [2]

Per batch: with probability `mix_prob` the batch is mixed, else left alone (its labels one-hot).
With both alphas above 0, CutMix is chosen with probability `switch_prob`, else Mixup; with
one, that one. The mixing weight lam is drawn from Beta(alpha, alpha). Image i is mixed with
image batch - 1 - i (the batch reversed, timm's `flip`):

- Mixup: lam * image_i + (1 - lam) * image_partner.
- CutMix: a box of (1 - lam) of the area (sides sqrt(1 - lam) of the image's, centred
  uniformly, clipped at the edges) of image_i replaced by the partner's; lam becomes the
  fraction of image_i left (timm's correct_lam).

The labels are lam * one_hot(label_i) + (1 - lam) * one_hot(label_partner), rows summing to 1.
Label smoothing is the loss's (`engine.losses`): smoothing a mix of one-hot labels equals
mixing the smoothed ones, which is what timm's `mixup_target` does.
"""

import tensorflow as tf

from preprocessing.augment_ops import box_mask


def _seed(seed, number):
  return tf.random.experimental.stateless_fold_in(seed, number)


def _beta(seed, alpha):
  """One draw of Beta(alpha, alpha) from two gammas."""
  first = tf.random.stateless_gamma([], _seed(seed, 0), alpha)
  second = tf.random.stateless_gamma([], _seed(seed, 1), alpha)
  return first / tf.maximum(first + second, 1e-12)


def cutmix_box(height, width, lam, seed):
  """(top, left, box height, box width) of CutMix's box for weight `lam`: sides
  sqrt(1 - lam) of the image's, the centre uniform, clipped to the image."""
  ratio = tf.sqrt(1.0 - lam)
  cut_height = tf.cast(tf.cast(height, tf.float32) * ratio, tf.int32)
  cut_width = tf.cast(tf.cast(width, tf.float32) * ratio, tf.int32)
  center_y = tf.random.stateless_uniform([], _seed(seed, 0), 0, height, tf.int32)
  center_x = tf.random.stateless_uniform([], _seed(seed, 1), 0, width, tf.int32)
  top = tf.clip_by_value(center_y - cut_height // 2, 0, height)
  bottom = tf.clip_by_value(center_y + cut_height // 2, 0, height)
  left = tf.clip_by_value(center_x - cut_width // 2, 0, width)
  right = tf.clip_by_value(center_x + cut_width // 2, 0, width)
  return top, left, bottom - top, right - left


def mix_batch(images, labels, seed, num_classes, mixup_alpha=0.0, cutmix_alpha=0.0,
              mix_prob=1.0, switch_prob=0.5):
  """(mixed images, float32 soft labels [batch, num_classes]) of one batch of images
  [batch, height, width, channels] and int labels [batch]."""
  onehot = tf.one_hot(labels, num_classes, dtype=tf.float32)
  partner_images, partner_onehot = tf.reverse(images, [0]), tf.reverse(onehot, [0])
  if cutmix_alpha > 0 and mixup_alpha > 0:
    use_cutmix = tf.random.stateless_uniform([], _seed(seed, 1)) < switch_prob
  else:
    use_cutmix = tf.constant(cutmix_alpha > 0)
  alpha = tf.where(use_cutmix, float(cutmix_alpha), float(mixup_alpha))
  lam = _beta(_seed(seed, 2), alpha)

  def mixup():
    weight = tf.cast(lam, images.dtype)
    return images * weight + partner_images * (1 - weight), lam

  def cutmix():
    shape = tf.shape(images)
    top, left, box_height, box_width = cutmix_box(shape[1], shape[2], lam, _seed(seed, 3))
    mask = box_mask(shape[1], shape[2], top, left, box_height, box_width)
    area = tf.cast(box_height * box_width, tf.float32) / tf.cast(shape[1] * shape[2], tf.float32)
    return tf.where(mask[None], partner_images, images), 1.0 - area

  def unmixed():
    return images, tf.constant(1.0)

  apply = tf.random.stateless_uniform([], _seed(seed, 0)) < mix_prob
  mixed, lam = tf.cond(apply, lambda: tf.cond(use_cutmix, cutmix, mixup), unmixed)
  return mixed, lam * onehot + (1.0 - lam) * partner_onehot


def make_mix(num_classes, mixup_alpha=0.0, cutmix_alpha=0.0, mix_prob=1.0, switch_prob=0.5):
  """`fn(images, labels, seed) -> (images, soft labels)`, or None when both alphas are 0.
  The alphas are at least 0 and the probabilities in [0, 1] (engine.inputs checks the flags)."""
  if not (mixup_alpha or cutmix_alpha):
    return None
  return lambda images, labels, seed: mix_batch(
      images, labels, seed, num_classes, mixup_alpha, cutmix_alpha, mix_prob, switch_prob)
