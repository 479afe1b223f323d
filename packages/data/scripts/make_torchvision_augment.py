#!/usr/bin/python3
"""Reference outputs of torchvision's own augmentation code, as the official CC and
SeCu code runs it on Fashion-MNIST (PIL images, transforms applied per image):

- resized crop: torchvision.transforms.functional.resized_crop on a PIL image with
  BILINEAR, for fixed integer crop boxes. Both PIL's uint8 result ('L' / 'RGB'
  images, what training sees) and the same resampling on float 'F' images (no
  uint8 rounding) are stored.
- colour jitter: fixed factors and a fixed order per image, applied as
  ColorJitter.forward applies them, with torchvision's tensor functionals (float,
  clamp to [0, 1] after each op) and with its PIL functionals (uint8).
- grayscale: rgb_to_grayscale on a PIL image, 3 channels (RandomGrayscale).
- RandomResizedCrop.get_params: histograms of many draws per setting (crop
  height/width pairs, top/left offsets) and the rate of the centre-crop fallback.

Images: Fashion-MNIST test images 0, 1, 2 (28x28, from the 64-image fixture) and
a 12x10 random colour image (numpy seed 0).
Run from the repository root: /usr/bin/python3 packages/data/scripts/make_torchvision_augment.py
"""
import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

from fixture_io import fmnist_images, write_json


def images():
    gray = fmnist_images()[:3]
    colour = np.random.default_rng(0).integers(0, 256, size=(12, 10, 3), dtype=np.uint8)
    return [g[:, :, None] for g in gray], colour


def to_pil(a):
    return Image.fromarray(a[:, :, 0], 'L') if a.shape[2] == 1 else Image.fromarray(a, 'RGB')


def levels(img):
    # uint8 levels, HWC row-major; the spec divides by 255.
    return np.asarray(img, dtype=np.uint8).reshape(-1).tolist()


def crop_float(a, box, size):
    """PIL's BILINEAR resize of the crop on float ('F') images, channel by channel."""
    i, j, h, w = box
    chans = []
    for c in range(a.shape[2]):
        img = Image.fromarray(a[:, :, c].astype(np.float32) / 255, 'F')
        chans.append(np.asarray(F.resized_crop(img, i, j, h, w, size, F.InterpolationMode.BILINEAR)))
    return np.stack(chans, axis=-1).reshape(-1).tolist()


def crop_cases(gray, colour):
    cases = []
    # (image, box [top, left, h, w], output [oh, ow]): enlarging crops as RandomResizedCrop
    # makes them at the input size, one shrinking (PIL antialiases), non-square ones.
    specs = [
        ('gray', 0, [3, 5, 14, 17], [28, 28]),
        ('gray', 1, [0, 0, 28, 28], [28, 28]),
        ('gray', 2, [10, 2, 18, 9], [28, 28]),
        ('gray', 0, [1, 2, 26, 24], [11, 9]),
        ('gray', 1, [20, 20, 8, 8], [13, 28]),
        ('colour', 0, [2, 1, 7, 6], [12, 10]),
        ('colour', 0, [0, 3, 12, 7], [5, 9]),
    ]
    for kind, idx, box, size in specs:
        a = gray[idx] if kind == 'gray' else colour
        pil = F.resized_crop(to_pil(a), *box, size, F.InterpolationMode.BILINEAR)
        cases.append({
            'image': kind if kind == 'colour' else f'gray{idx}',
            'box': box,
            'size': size,
            'uint8': levels(pil),
            'float': crop_float(a, box, size),
        })
    return cases


def jitter_tensor(t, order, f):
    # ColorJitter.forward with fixed fn_idx and factors (None skips an op); tensor functionals.
    for k in order:
        if f[k] is None:
            continue
        t = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue][k](t, f[k])
    return t


def jitter_cases(gray, colour):
    cases = []
    # Factors [brightness, contrast, saturation, hue]; strong enough that clamping makes
    # the order matter.
    g = [
        ([0, 1, 2, 3], [1.38, 0.65, None, None]),
        ([1, 0, 2, 3], [1.38, 0.65, None, None]),
        ([3, 1, 0, 2], [0.7, 1.4, None, None]),
        ([0, 3, 2, 1], [0.7, 1.4, None, None]),
    ]
    for n, (order, f) in enumerate(g):
        a = gray[n % 3]
        t = torch.from_numpy(a.astype(np.float32) / 255).permute(2, 0, 1)
        pil = jitter_tensor(to_pil(a), order, f)
        cases.append({'image': f'gray{n % 3}', 'order': order, 'factors': f,
                      'float': jitter_tensor(t, order, f).permute(1, 2, 0).reshape(-1).tolist(), 'uint8': levels(pil)})
    c = [
        ([2, 1, 0, 3], [1.35, 1.3, 0.6, None]),
        ([0, 2, 1, 3], [1.35, 1.3, 0.6, None]),
        ([1, 3, 0, 2], [0.65, 0.7, 1.4, None]),
        # With hue (RGB -> HSV -> RGB): compared with the tensor functionals only, since
        # PIL shifts hue on a 256-level uint8 circle.
        ([3, 0, 2, 1], [1.2, 0.8, 1.3, 0.07]),
        ([1, 2, 3, 0], [0.9, 1.2, 0.7, -0.1]),
        ([2, 3, 1, 0], [1.0, 1.0, 1.0, 0.45]),
        ([0, 1, 2, 3], [1.0, 1.0, 1.0, -0.3]),
    ]
    for order, f in c:
        t = torch.from_numpy(colour.astype(np.float32) / 255).permute(2, 0, 1)
        pil = jitter_tensor(to_pil(colour), order, f)
        cases.append({'image': 'colour', 'order': order, 'factors': f,
                      'float': jitter_tensor(t, order, f).permute(1, 2, 0).reshape(-1).tolist(), 'uint8': levels(pil)})
    return cases


def sampler_cases():
    out = []
    n = 100000
    for H, W, scale, ratio in [
        (28, 28, [0.2, 1.0], [3 / 4, 4 / 3]),
        (28, 28, [0.08, 1.0], [3 / 4, 4 / 3]),
        (20, 12, [0.5, 1.0], [0.3, 3.0]),
        (5, 20, [0.9, 1.0], [0.5, 2.5]),  # every try fails: fallback w = round(12.5) = 12 (Python rounds half to even)
    ]:
        torch.manual_seed(0)
        img = torch.zeros(1, H, W)
        calls = {'n': 0}
        randint = torch.randint

        def counting(*a, **k):
            calls['n'] += 1
            return randint(*a, **k)

        torch.randint = counting
        hw, top, left, fallback = {}, {}, {}, 0
        try:
            for _ in range(n):
                before = calls['n']
                i, j, h, w = T.RandomResizedCrop.get_params(img, scale, ratio)
                fallback += calls['n'] == before
                hw[f'{h}x{w}'] = hw.get(f'{h}x{w}', 0) + 1
                top[i] = top.get(i, 0) + 1
                left[j] = left.get(j, 0) + 1
        finally:
            torch.randint = randint
        out.append({'H': H, 'W': W, 'scale': scale, 'ratio': ratio, 'draws': n, 'fallback': fallback,
                    'hw': hw, 'top': {str(k): v for k, v in sorted(top.items())}, 'left': {str(k): v for k, v in sorted(left.items())}})
    return out


def main():
    gray, colour = images()
    out = {
        'images': {**{f'gray{i}': {'shape': [28, 28, 1], 'levels': levels(g)} for i, g in enumerate(gray)},
                   'colour': {'shape': [12, 10, 3], 'levels': levels(colour)}},
        'crop': crop_cases(gray, colour),
        'jitter': jitter_cases(gray, colour),
        'sampler': sampler_cases(),
        # RandomGrayscale's op on a PIL image: convert('L'), three channels.
        'grayscale': levels(F.rgb_to_grayscale(to_pil(colour), num_output_channels=3)),
    }
    write_json('torchvision-augment.json', out, separators=(',', ':'))


if __name__ == '__main__':
    main()
