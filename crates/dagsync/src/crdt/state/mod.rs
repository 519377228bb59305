//! Standalone state-based CRDTs with `merge`, usable without a document.
