"""Instructors' tools, apart from what a learner's grade needs: stub generation (nbgrader),
the notebook track, batch grading of a class, and the grading-speed benchmark.

The learner's runtime (`autograder.engine`, `checks`, `sandbox`, `codec`, `report`, `cli`,
`labs`) never imports from here, so grading needs only numpy and Hypothesis.
"""
