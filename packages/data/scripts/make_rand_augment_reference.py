#!/usr/bin/python3
"""Reference outputs of PIL's own ImageOps / ImageEnhance operations that the
rand-augment transform restates on float batches (src/augment/pil-ops.ts):
autocontrast, solarize, posterize and sharpness, on the two 12x12 colour images
of make_augment_reference.py (R, G, B planes from Fashion-MNIST test images), one
parameter per image. PIL rounds its results to uint8; the spec allows for that.

Run from the repository root: /usr/bin/python3 packages/data/scripts/make_rand_augment_reference.py
"""
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from fixture_io import colour_crops, write_json


def flat(img):
    # uint8 levels, HWC row-major; the spec divides by 255.
    return np.asarray(img, dtype=np.uint8).reshape(-1).tolist()


def main():
    imgs = [Image.fromarray(a, 'RGB') for a in colour_crops()]
    out = {'input': [flat(i) for i in imgs]}
    out['autocontrast'] = {'out': [flat(ImageOps.autocontrast(i)) for i in imgs]}
    thresholds = [100, 181]
    out['solarize'] = {'thresholds': thresholds, 'out': [flat(ImageOps.solarize(i, t)) for i, t in zip(imgs, thresholds)]}
    bits = [4, 6]
    out['posterize'] = {'bits': bits, 'out': [flat(ImageOps.posterize(i, b)) for i, b in zip(imgs, bits)]}
    factors = [0.3, 0.9]
    out['sharpness'] = {'factors': factors, 'out': [flat(ImageEnhance.Sharpness(i).enhance(f)) for i, f in zip(imgs, factors)]}
    write_json('rand-augment-reference.json', out)


if __name__ == '__main__':
    main()
