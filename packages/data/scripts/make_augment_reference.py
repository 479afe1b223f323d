#!/usr/bin/python3
"""Reference outputs for the deterministic cores of the augmentations, computed with
PyTorch using torchvision's formulas (torchvision itself is not installed here, so
the few lines of transforms/_functional_tensor.py that matter are restated below).

Input: a 3x12x12 colour image whose R, G, B planes are Fashion-MNIST test images
0, 1, 2 (rows/cols 8..19), and image 3 likewise from images 3, 4, 5.
Run from the repository root: /usr/bin/python3 packages/data/scripts/make_augment_reference.py
"""
import numpy as np
import torch
import torch.nn.functional as F

from fixture_io import colour_crops, write_json


def load():
    imgs = np.ascontiguousarray(np.stack(colour_crops()).transpose(0, 3, 1, 2)).astype(np.float32) / 255
    return torch.from_numpy(imgs)  # [2, 3, 12, 12]


def gray(img):
    r, g, b = img.unbind(dim=-3)
    return (0.299 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def blend(a, b, ratio):
    return (ratio * a + (1.0 - ratio) * b).clamp(0, 1)


def brightness(img, f):
    return blend(img, torch.zeros_like(img), f)


def contrast(img, f):
    mean = torch.mean(gray(img), dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, f)


def saturation(img, f):
    return blend(img, gray(img), f)


def kernel1d(k, sigma):
    half = (k - 1) * 0.5
    x = torch.linspace(-half, half, steps=k)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def blur(img, k, sigma):
    # torchvision gaussian_blur: reflect padding, separable kernel as one 2-D conv.
    k1 = kernel1d(k, sigma)
    k2 = torch.mm(k1[:, None], k1[None, :])
    c = img.shape[-3]
    w = k2.expand(c, 1, k, k)
    p = k // 2
    x = F.pad(img[None], [p, p, p, p], mode='reflect')
    return F.conv2d(x, w, groups=c)[0]


def crop_resize(img, top, left, h, w, size, align_corners):
    # Crop, then bilinear resize without antialias. Shrinking uses half-pixel centres
    # (torchvision, align_corners=False); enlarging keeps samples inside the crop,
    # i.e. align_corners=True (see pixelBox in src/augment/ops.ts).
    crop = img[:, top:top + h, left:left + w]
    return F.interpolate(crop[None], size=size, mode='bilinear', align_corners=align_corners, antialias=False)[0]


def hwc(t):
    return t.permute(1, 2, 0).reshape(-1).tolist()


def main():
    x = load()
    out = {'input': [hwc(x[0]), hwc(x[1])]}
    out['brightness'] = {'factors': [0.6, 1.4], 'out': [hwc(brightness(x[0], 0.6)), hwc(brightness(x[1], 1.4))]}
    out['contrast'] = {'factors': [0.5, 1.7], 'out': [hwc(contrast(x[0], 0.5)), hwc(contrast(x[1], 1.7))]}
    out['saturation'] = {'factors': [0.0, 1.8], 'out': [hwc(saturation(x[0], 0.0)), hwc(saturation(x[1], 1.8))]}
    out['blur'] = {'kernelSize': 5, 'sigmas': [0.7, 1.9], 'out': [hwc(blur(x[0], 5, 0.7)), hwc(blur(x[1], 5, 1.9))]}
    for name, boxes, size, ac in [
        ('cropDown', [[1, 0, 11, 10], [0, 2, 12, 7]], [8, 6], False),
        ('cropUp', [[2, 1, 7, 5], [5, 7, 7, 5]], [10, 8], True),
    ]:
        out[name] = {
            'boxes': boxes,
            'size': size,
            'out': [hwc(crop_resize(x[i], *boxes[i], size, ac)) for i in range(2)],
        }
    write_json('augment-reference.json', out)


if __name__ == '__main__':
    main()
