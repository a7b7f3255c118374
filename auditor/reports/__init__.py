"""Word reports. `context` gathers what a report says; a renderer lays it out (python-docx now;
customer-edited docxtpl templates can render the same context later)."""
