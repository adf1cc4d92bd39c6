"""Checks shared by the plot tests (not a test module): is every plot's data in its view?"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


def data_in_view(plot: pg.PlotWidget) -> tuple[int, list[str]]:
    """(items with data, descriptions of those with no point inside the view); the items' data
    (``_Plot.shown_data``) and the view range are both in view coordinates."""
    (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
    shown, outside = 0, []
    for item, x, y in plot.shown_data():
        shown += 1
        inside = np.isfinite(x) & np.isfinite(y) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        if not inside.any():
            outside.append(
                f"{type(item).__name__} x {np.nanmin(x):.3g}..{np.nanmax(x):.3g} "
                f"y {np.nanmin(y):.3g}..{np.nanmax(y):.3g} in view {x0:.3g}..{x1:.3g}, {y0:.3g}..{y1:.3g}"
            )
    return shown, outside


def assert_every_plot_shows_its_data(panel, where: str = "") -> None:
    """Each of the panel's plots has data, and every curve and marker has a point in view."""
    for key, plot in panel.plot_widgets().items():
        shown, outside = data_in_view(plot)
        assert shown > 0, f"{key} shows no data {where}"
        assert not outside, f"{key}: {outside} {where}"
