// Tests of architecture.rs that pass only once W13 has landed in every capability;
// moved back into architecture.rs as each passes. Not compiled.

