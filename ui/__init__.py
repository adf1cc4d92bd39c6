"""Desktop window for the compute budget planner (PySide6 + pyqtgraph).

Imports :mod:`planner`, never the reverse. Entry point: :func:`ui.__main__.main`
(``planner-gui`` / ``python -m ui``). Public pieces others use:

* :class:`ui.main_window.MainWindow` (``set_law(law)``, ``current_plan()``, ``current_law()``,
  ``plot_panel``);
* :class:`ui.plots.PlotPanel` (standalone; ``update_plan(...)``, ``plot_widgets()``).
"""

__version__ = "0.1.0"
