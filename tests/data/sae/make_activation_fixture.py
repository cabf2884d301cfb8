#!/usr/bin/python3
"""Writes activations_f16.h5: `/activations` [300, 8] float16 (chunked, as `gyrus-cli cache`
writes them), `/reference` the same values as float32, a rank-1 `/tokens` int32 dataset and root
attributes. Run from this directory: /usr/bin/python3 make_activation_fixture.py"""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(5)
values = (rng.normal(0, 2.0, (300, 8)) + np.arange(300)[:, None] * 0.01).astype(np.float16)
with h5py.File(os.path.join(HERE, "activations_f16.h5"), "w") as f:
    f.create_dataset("activations", data=values, chunks=(64, 8))
    f.create_dataset("reference", data=values.astype(np.float32))
    f.create_dataset("tokens", data=np.arange(300, dtype=np.int32))
    f.attrs["model"] = "fixture"
    f.attrs["hook_name"] = "blocks.1.hook_resid_post"
    f.attrs["normalisation_scale"] = 1.0
