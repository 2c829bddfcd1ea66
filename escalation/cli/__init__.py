"""The ``escalation`` command (:mod:`.main`), the options shared by scenario and experiment
scripts (:mod:`.scripts`) and the text and figure reports they write (:mod:`.report`)."""
