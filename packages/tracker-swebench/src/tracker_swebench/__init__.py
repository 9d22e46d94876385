"""SWE-bench harness for tracker."""
