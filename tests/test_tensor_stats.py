"""Statistics, histogram and slices for the tensor view, checked against numpy directly."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect import tensor_stats


def test_small_tensor_statistics_equal_numpy():
    rng = np.random.default_rng(1)
    values = rng.normal(2.0, 3.0, size=(40, 25)).astype(np.float32)
    stats = tensor_stats.compute(values, bins=20)
    assert not stats.sampled and stats.count == values.size == stats.size
    as64 = values.astype(np.float64)
    assert stats.min == pytest.approx(as64.min())
    assert stats.max == pytest.approx(as64.max())
    assert stats.mean == pytest.approx(as64.mean())
    assert stats.std == pytest.approx(as64.std())
    counts, edges = np.histogram(as64, bins=20)
    assert stats.counts == counts.tolist()
    assert stats.edges == pytest.approx(edges.tolist())


def test_big_tensor_is_sampled_and_close_to_the_full_statistics():
    values = np.linspace(-1.0, 1.0, 3_000_001, dtype=np.float64)
    stats = tensor_stats.compute(values, limit=100_000)
    assert stats.sampled and stats.count <= 100_000 and stats.size == values.size
    assert sum(stats.counts) == stats.count
    assert stats.mean == pytest.approx(values.mean(), abs=1e-3)
    assert stats.std == pytest.approx(values.std(), rel=1e-3)
    assert stats.min == -1.0


def test_nan_and_inf_are_counted_and_left_out():
    values = np.array([1.0, np.nan, 3.0, np.inf, -np.inf], dtype=np.float32)
    stats = tensor_stats.compute(values)
    assert stats.nonfinite == 3
    assert (stats.min, stats.max, stats.mean) == (1.0, 3.0, 2.0)


def test_constant_and_non_numeric_tensors():
    stats = tensor_stats.compute(np.full((4,), 7, dtype=np.int32))
    assert stats.counts[len(stats.counts) // 2] == 4 and stats.std == 0.0
    text = tensor_stats.compute(np.array([b"a", b"bc"]))
    assert not text.numeric and text.mean is None and text.counts == []


def test_slices_for_the_values_table():
    cube = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    assert np.array_equal(tensor_stats.slice_2d(cube, (1, 2)), cube[1, 2])
    assert np.array_equal(tensor_stats.slice_2d(cube), cube[0, 0])
    assert tensor_stats.slice_2d(np.arange(6)).shape == (6, 1)
    assert tensor_stats.slice_2d(np.float32(3.5)).shape == (1, 1)
    assert tensor_stats.format_value(np.float32(0.1234567)) == "0.123457"
    assert tensor_stats.format_value(b"abc") == "abc"


def test_sample_index_bounds_the_sample_over_every_axis():
    index = tensor_stats.sample_index((16000, 16000), limit=1_000_000)
    picked = np.empty((16000, 16000), dtype=np.bool_)[index]
    assert picked.size <= 1_000_000 and picked.shape[0] > 1 and picked.shape[1] > 1
    small = tensor_stats.sample_index((3, 4), limit=1_000_000)
    assert small == (slice(None, None, 1), slice(None, None, 1))
    vector = tensor_stats.sample_index((5_000_000,), limit=1_000_000)
    assert np.empty(5_000_000)[vector].size <= 1_000_000


def test_table_index_is_one_bounded_slice():
    cube = np.arange(2 * 3000 * 10).reshape(2, 3000, 10)
    index = tensor_stats.table_index(cube.shape, (1,))
    assert np.array_equal(cube[index], cube[1, :2000, :])
    assert tensor_stats.table_truncated(cube.shape)
    assert not tensor_stats.table_truncated((2000, 2000))
    assert tensor_stats.table_index(()) == ()
    assert tensor_stats.table_index((5000,)) == (slice(0, 2000),)


def test_values_near_the_float64_limits_keep_statistics_and_histogram():
    values = np.array([-1.7e308, -1.0e308, 0.0, 1.0e308, 1.7e308])
    stats = tensor_stats.compute(values, bins=4)
    assert (stats.min, stats.max) == (-1.7e308, 1.7e308)
    assert stats.mean == pytest.approx(0.0, abs=1e294)
    scaled = values / 1.7e308  # numpy's own std overflows here; compare on the scaled values
    assert stats.std == pytest.approx(scaled.std() * 1.7e308)
    assert stats.counts == np.histogram(scaled, bins=4)[0].tolist() == [2, 0, 1, 2]
    assert stats.edges[0] == -1.7e308 and stats.edges[-1] == 1.7e308
