"""Agent Client Protocol backend for tracker."""
