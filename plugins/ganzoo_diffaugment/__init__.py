"""DiffAugment (Zhao et al. 2020): differentiable color, translation and cutout, applied to
every image D sees, real and generated, in D's update and in G's. ``--augment
color,translation,cutout`` is the paper's policy for data-limited training.

Written with torch ops rather than kornia: the paper's three transforms are a few lines
each (integer-pixel translation with zero padding, one square cutout per image, additive
brightness and multiplicative saturation and contrast), kornia's random augmentations draw
from the global RNG rather than the run's seeded generator, and this keeps ganzoo's
dependencies as they are."""

from ganzoo import hookimpl


@hookimpl
def register_augmentations(register):
    register("color", "ganzoo_diffaugment.diffaugment:Color",
             description="DiffAugment color: random brightness, saturation and contrast per image")
    register("translation", "ganzoo_diffaugment.diffaugment:Translation",
             description="DiffAugment translation: random integer shift up to ratio x size, zero padding")
    register("cutout", "ganzoo_diffaugment.diffaugment:Cutout",
             description="DiffAugment cutout: one zeroed square of ratio x size per image")
