"""Pictures in a report: a photo file or a chart, put into the document only when the template reaches it.

A Picture holds a path (or a chart to draw), never the image itself: the template engine reads one file
at the moment it places it, so a report with many photos does not hold them all in memory at once.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from auditor.reports.charts import BarChart, to_png

# The template being rendered, set by reports.engine.render while docxtpl runs.
rendering: ContextVar[DocxTemplate] = ContextVar("rendering")


@dataclass(frozen=True)
class Picture:
    source: Path | BarChart
    width_mm: float

    def __html__(self) -> str:
        """The image's Word XML: docxtpl reads `{{ photo.image }}` through this."""
        source = self.source
        image = io.BytesIO(to_png(source)) if isinstance(source, BarChart) else str(source)
        return InlineImage(rendering.get(), image, width=Mm(self.width_mm)).__html__()

    def __str__(self) -> str:
        return self.__html__()
