"""The appraisal service: cycles, scorecards, reviews, scores, grades, calibration, appeals (A1-A10)."""
