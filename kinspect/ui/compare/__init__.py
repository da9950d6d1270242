"""The Compare view: two models side by side (File > Compare with…)."""
