#!/usr/bin/python3
"""Reference outputs of PIL's own ImageOps / ImageEnhance operations that the
rand-augment transform restates on float batches (src/augment/pil-ops.ts):
autocontrast, solarize, posterize and sharpness, on the two 12x12 colour images
of make_augment_reference.py (R, G, B planes from Fashion-MNIST test images), one
parameter per image. PIL rounds its results to uint8; the spec allows for that.

Run from the repository root: /usr/bin/python3 packages/data/scripts/make_rand_augment_reference.py
"""
import gzip
import json
import os

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'test', 'fixtures')


def load():
    with gzip.open(os.path.join(FIX, 'fmnist64-images-idx3-ubyte.gz'), 'rb') as f:
        raw = f.read()
    x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(64, 28, 28)[:, 8:20, 8:20]
    return [np.stack([x[0], x[1], x[2]], axis=-1), np.stack([x[3], x[4], x[5]], axis=-1)]  # 2 x [12, 12, 3] uint8


def flat(img):
    # uint8 levels, HWC row-major; the spec divides by 255.
    return np.asarray(img, dtype=np.uint8).reshape(-1).tolist()


def main():
    imgs = [Image.fromarray(a, 'RGB') for a in load()]
    out = {'input': [flat(i) for i in imgs]}
    out['autocontrast'] = {'out': [flat(ImageOps.autocontrast(i)) for i in imgs]}
    thresholds = [100, 181]
    out['solarize'] = {'thresholds': thresholds, 'out': [flat(ImageOps.solarize(i, t)) for i, t in zip(imgs, thresholds)]}
    bits = [4, 6]
    out['posterize'] = {'bits': bits, 'out': [flat(ImageOps.posterize(i, b)) for i, b in zip(imgs, bits)]}
    factors = [0.3, 0.9]
    out['sharpness'] = {'factors': factors, 'out': [flat(ImageEnhance.Sharpness(i).enhance(f)) for i, f in zip(imgs, factors)]}
    with open(os.path.join(FIX, 'rand-augment-reference.json'), 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
