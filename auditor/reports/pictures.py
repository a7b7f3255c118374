"""Pictures in a report: a photo or a chart, put into the document only when the template reaches it.

A Picture holds a way to read the image (or a chart to draw), never the image itself: the template engine reads
one photo from the database at the moment it places it, so a report with many photos does not hold them all in
memory at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from auditor.reports.charts import BarChart, to_png

# The template being rendered, set by reports.engine.render while docxtpl runs.
rendering: ContextVar[DocxTemplate] = ContextVar("rendering")


@dataclass(frozen=True)
class Picture:
    source: (
        Callable[[], bytes | None] | BarChart
    )  # a reader that gives the image's bytes (None: it has none), or a chart
    width_mm: float

    def __html__(self) -> str:
        """The image's Word XML (nothing when the reader has no image): docxtpl reads `{{ photo.image }}` through this."""
        source = self.source
        image = to_png(source) if isinstance(source, BarChart) else source()
        if image is None:
            return ""
        return InlineImage(rendering.get(), io.BytesIO(image), width=Mm(self.width_mm)).__html__()

    def __str__(self) -> str:
        return self.__html__()
