// The kernels of this target are its .kev specs, compiled by kevc's build-tool plugin into lib<stem>.so and an
// enum <stem> (here `softmax`, a link to specs/softmax.kev, at the shape in softmax.shape).
