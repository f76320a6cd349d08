"""Baselines the models must beat: BG/NBD + Gamma-Gamma for churn and CLV, base rates."""
