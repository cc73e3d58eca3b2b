//! The crate's stories, as a user of the search page notices them, over the
//! small multilingual corpus of `corpus`. Unit tests of each module live
//! beside it; everything is one test binary.

mod archive;
mod corpus;
mod lifecycle;
mod robustness;
mod search;
