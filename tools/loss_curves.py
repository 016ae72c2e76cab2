#!/usr/bin/env python3
"""Draws the loss curves of `tarmac train --loss-csv` runs as one SVG file.

Usage: tools/loss_curves.py OUT.svg LABEL=LOSS.csv [LABEL=LOSS.csv ...]

One row of panels per run: training and validation loss (each run's own
units), and validation ADE / FDE [m], against the epoch. Standard library
only, so it runs wherever tarmac builds.
"""
import csv
import sys

PANEL_W, PANEL_H, MARGIN = 360, 200, 48
COLOURS = {"train_loss": "#1f77b4", "val_loss": "#ff7f0e", "val_ade_m": "#2ca02c", "val_fde_m": "#d62728"}
NAMES = {"train_loss": "train loss", "val_loss": "val loss", "val_ade_m": "val ADE [m]", "val_fde_m": "val FDE [m]"}


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows


def panel(x0, y0, title, epochs, series):
    """One panel: `series` maps a column name to its values per epoch."""
    values = [v for vs in series.values() for v in vs]
    lo, hi = 0.0, max(values) * 1.05 or 1.0
    e_lo, e_hi = min(epochs), max(max(epochs), min(epochs) + 1)
    sx = lambda e: x0 + MARGIN + (e - e_lo) / (e_hi - e_lo) * (PANEL_W - MARGIN - 10)
    sy = lambda v: y0 + PANEL_H - 30 - (v - lo) / (hi - lo) * (PANEL_H - 60)
    out = [f'<text x="{x0 + PANEL_W / 2}" y="{y0 + 16}" text-anchor="middle" font-size="13">{title}</text>']
    # Axes, ticks at 0, hi/2, hi and at every epoch.
    out.append(f'<line x1="{sx(e_lo)}" y1="{sy(lo)}" x2="{sx(e_hi)}" y2="{sy(lo)}" stroke="#444"/>')
    out.append(f'<line x1="{sx(e_lo)}" y1="{sy(lo)}" x2="{sx(e_lo)}" y2="{sy(hi)}" stroke="#444"/>')
    for v in (lo, hi / 2, hi):
        out.append(f'<text x="{sx(e_lo) - 4}" y="{sy(v) + 4}" text-anchor="end" font-size="10">{v:.3g}</text>')
    for e in epochs:
        out.append(f'<text x="{sx(e)}" y="{sy(lo) + 14}" text-anchor="middle" font-size="10">{e}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2 + 20}" y="{y0 + PANEL_H - 2}" text-anchor="middle" font-size="10">epoch</text>')
    for i, (name, vs) in enumerate(series.items()):
        pts = " ".join(f"{sx(e):.1f},{sy(v):.1f}" for e, v in zip(epochs, vs))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[name]}" stroke-width="2"/>')
        for e, v in zip(epochs, vs):
            out.append(f'<circle cx="{sx(e):.1f}" cy="{sy(v):.1f}" r="2.5" fill="{COLOURS[name]}"/>')
        lx = x0 + PANEL_W - 110
        ly = y0 + 30 + 14 * i
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" y2="{ly - 4}" stroke="{COLOURS[name]}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 20}" y="{ly}" font-size="10">{NAMES[name]}</text>')
    return out


def main():
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        sys.exit(__doc__)
    runs = [a.split("=", 1) for a in sys.argv[2:]]
    body = []
    for row, (label, path) in enumerate(runs):
        rows = read(path)
        epochs = [int(r["epoch"]) for r in rows]
        col = lambda k: [float(r[k]) for r in rows]
        y0 = row * PANEL_H
        body += panel(0, y0, f"{label}: losses", epochs, {"train_loss": col("train_loss"), "val_loss": col("val_loss")})
        body += panel(PANEL_W, y0, f"{label}: validation error", epochs,
                      {"val_ade_m": col("val_ade_m"), "val_fde_m": col("val_fde_m")})
    w, h = 2 * PANEL_W, PANEL_H * len(runs)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif">', f'<rect width="{w}" height="{h}" fill="white"/>'] + body + ["</svg>"]
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
