// RUN: quant-opt %s -split-input-file -verify-diagnostics
// One case per verifier error of the Shape family (docs/Ops-shape.md).

func.func @gather_axis(%x: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.gather' op failed to infer returned types}}
  %0 = qc.gather %x, %i {axis = 2 : i64} : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return
}

// -----

func.func @gather_shape(%x: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{'qc.gather' op inferred type(s) 'tensor<4x2xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error @+1 {{'qc.gather' op failed to infer returned types}}
  %0 = qc.gather %x, %i {axis = 1 : i64} : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_elem(%x: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{'qc.gather' op inferred type(s) 'tensor<4x2xf32>' are incompatible with return type(s) of operation 'tensor<4x2xi64>'}}
  // expected-error @+1 {{'qc.gather' op failed to infer returned types}}
  %0 = qc.gather %x, %i {axis = 1 : i64} : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<4x2xi64>
  return
}

// -----

func.func @gather_indices_type(%x: tensor<4x6xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of integer values}}
  %0 = qc.gather %x, %i {axis = 1 : i64} : (tensor<4x6xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @gather_elements_axis(%x: tensor<4x6xf32>, %i: tensor<4x6xi64>) {
  // expected-error @+2 {{axis -1 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.gather_elements' op failed to infer returned types}}
  %0 = qc.gather_elements %x, %i {axis = -1 : i64} : (tensor<4x6xf32>, tensor<4x6xi64>) -> tensor<4x6xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<4x6xf32>, %i: tensor<6xi64>) {
  // expected-error @+2 {{indices rank 1 differs from the data rank 2}}
  // expected-error @+1 {{'qc.gather_elements' op failed to infer returned types}}
  %0 = qc.gather_elements %x, %i {axis = 0 : i64} : (tensor<4x6xf32>, tensor<6xi64>) -> tensor<6xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+2 {{needs at least one input}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_elem(%a: tensor<2x3xf32>, %b: tensor<2x3xi64>) {
  // expected-error @+2 {{input 1 has element type 'i64', input 0 has 'f32'}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<6xf32>) {
  // expected-error @+2 {{input 1 has rank 1, input 0 has 2}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<6xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{input 1 has size 4 in dimension 0, expected 2}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.concat' op inferred type(s) 'tensor<2x6xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %a {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @concat_result_rank(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.concat' op inferred type(s) 'tensor<2x6xf32>' are incompatible with return type(s) of operation 'tensor<12xf32>'}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = qc.concat %a, %a {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<12xf32>
  return
}

// -----

func.func @slice_lengths(%a: tensor<8xf32>) {
  // expected-error @+2 {{starts, ends, axes and steps must have the same length, got 1, 1, 1 and 0}}
  // expected-error @+1 {{'qc.slice' op failed to infer returned types}}
  %0 = qc.slice %a {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 0>, steps = array<i64>} : (tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @slice_axis(%a: tensor<8xf32>) {
  // expected-error @+2 {{axis 1 is out of range [0, 1)}}
  // expected-error @+1 {{'qc.slice' op failed to infer returned types}}
  %0 = qc.slice %a {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @slice_twice(%a: tensor<8xf32>) {
  // expected-error @+2 {{axis 0 is listed twice}}
  // expected-error @+1 {{'qc.slice' op failed to infer returned types}}
  %0 = qc.slice %a {starts = array<i64: 0, 0>, ends = array<i64: 4, 4>, axes = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @slice_step(%a: tensor<8xf32>) {
  // expected-error @+2 {{step for axis 0 is 0}}
  // expected-error @+1 {{'qc.slice' op failed to infer returned types}}
  %0 = qc.slice %a {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 0>, steps = array<i64: 0>} : (tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @slice_result(%a: tensor<8xf32>) {
  // expected-error @+2 {{'qc.slice' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'qc.slice' op failed to infer returned types}}
  %0 = qc.slice %a {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 0>, steps = array<i64: 2>} : (tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @squeeze_axes(%a: tensor<1x8xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.squeeze' op failed to infer returned types}}
  %0 = qc.squeeze %a {axes = array<i64: 2>} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @squeeze_sorted(%a: tensor<1x1xf32>) {
  // expected-error @+2 {{axes must be sorted and distinct}}
  // expected-error @+1 {{'qc.squeeze' op failed to infer returned types}}
  %0 = qc.squeeze %a {axes = array<i64: 1, 0>} : (tensor<1x1xf32>) -> tensor<f32>
  return
}

// -----

func.func @squeeze_not_one(%a: tensor<2x8xf32>) {
  // expected-error @+2 {{dimension 0 has size 2, not 1}}
  // expected-error @+1 {{'qc.squeeze' op failed to infer returned types}}
  %0 = qc.squeeze %a {axes = array<i64: 0>} : (tensor<2x8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @unsqueeze_axes(%a: tensor<8xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.unsqueeze' op failed to infer returned types}}
  %0 = qc.unsqueeze %a {axes = array<i64: 2>} : (tensor<8xf32>) -> tensor<8x1xf32>
  return
}

// -----

func.func @unsqueeze_result(%a: tensor<8xf32>) {
  // expected-error @+2 {{'qc.unsqueeze' op inferred type(s) 'tensor<1x8xf32>' are incompatible with return type(s) of operation 'tensor<8x1xf32>'}}
  // expected-error @+1 {{'qc.unsqueeze' op failed to infer returned types}}
  %0 = qc.unsqueeze %a {axes = array<i64: 0>} : (tensor<8xf32>) -> tensor<8x1xf32>
  return
}

// -----

func.func @shape_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{start 1 and end 3 must satisfy 0 <= start <= end <= 2}}
  // expected-error @+1 {{'qc.shape' op failed to infer returned types}}
  %0 = qc.shape %a {start = 1 : i64, end = 3 : i64} : (tensor<2x3xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @shape_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.shape' op inferred type(s) 'tensor<2xi64>' are incompatible with return type(s) of operation 'tensor<3xi64>'}}
  // expected-error @+1 {{'qc.shape' op failed to infer returned types}}
  %0 = qc.shape %a {start = 0 : i64, end = 2 : i64} : (tensor<2x3xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @expand_len(%a: tensor<3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{shape has 2 elements but the result has rank 3}}
  %0 = qc.expand %a, %s : (tensor<3xf32>, tensor<2xi64>) -> tensor<?x?x?xf32>
  return
}

// -----

func.func @expand_rank(%a: tensor<2x3xf32>, %s: tensor<?xi64>) {
  // expected-error @+1 {{result rank 1 is below the input rank 2}}
  %0 = qc.expand %a, %s : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @tile_len(%a: tensor<3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{repeats has 2 elements but the input has rank 1}}
  %0 = qc.tile %a, %s : (tensor<3xf32>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @tile_rank(%a: tensor<3xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{result rank 2 differs from the input rank 1}}
  %0 = qc.tile %a, %s : (tensor<3xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @range_types(%a: tensor<i64>, %b: tensor<f32>) {
  // expected-error @+1 {{operand element type 'f32' differs from the result's 'i64'}}
  %0 = qc.range %a, %b, %a : (tensor<i64>, tensor<f32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @cos_len(%s: tensor<2xi64>) {
  // expected-error @+1 {{shape has 2 elements but the result has rank 1}}
  %0 = qc.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @cos_type(%s: tensor<2xi64>) {
  // expected-error @+1 {{value type 'i64' differs from the result element type 'f32'}}
  %0 = qc.constant_of_shape %s {value = 0 : i64} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @cos_attr(%s: tensor<2xi64>) {
  // expected-error @+1 {{value must be an integer or float attribute}}
  %0 = qc.constant_of_shape %s {value = dense<0> : tensor<i64>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_len(%a: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{shape has 2 elements but the result has rank 1}}
  %0 = qc.dynamic_reshape %a, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_slice_len(%a: tensor<6xf32>, %s: tensor<2xi64>, %t: tensor<1xi64>) {
  // expected-error @+1 {{starts, ends, axes and steps must have the same length, got 2 and 1}}
  %0 = qc.dynamic_slice %a, %s, %s, %t, %s : (tensor<6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_slice_rank(%a: tensor<6xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{result rank 2 differs from the input rank 1}}
  %0 = qc.dynamic_slice %a, %s, %s, %s, %s : (tensor<6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_squeeze_rank(%a: tensor<1x6xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{result rank 2 should be 1 (input rank 2 minus 1 axes)}}
  %0 = qc.dynamic_squeeze %a, %s : (tensor<1x6xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_unsqueeze_rank(%a: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{result rank 2 should be 3 (input rank 1 plus 2 axes)}}
  %0 = qc.dynamic_unsqueeze %a, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_split_axis(%a: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{axis 1 is out of range [0, 1)}}
  %0:2 = qc.dynamic_split %a, %s {axis = 1 : i64} : (tensor<6xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @dynamic_split_count(%a: tensor<6xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{split has 3 entries for 2 results}}
  %0:2 = qc.dynamic_split %a, %s {axis = 0 : i64} : (tensor<6xf32>, tensor<3xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @dynamic_split_rank(%a: tensor<6xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{result rank 2 differs from the input rank 1}}
  %0 = qc.dynamic_split %a, %s {axis = 0 : i64} : (tensor<6xf32>, tensor<1xi64>) -> (tensor<?x?xf32>)
  return
}

// -----

func.func @flatten_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 3 is out of range [0, 2]}}
  // expected-error @+1 {{'qc.flatten' op failed to infer returned types}}
  %0 = qc.flatten %a {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return
}

// -----

func.func @flatten_result(%a: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'qc.flatten' op inferred type(s) 'tensor<2x12xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'qc.flatten' op failed to infer returned types}}
  %0 = qc.flatten %a {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @pad_count(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{pads has 2 entries, expected 2 x rank = 4}}
  %0 = qc.pad %a {pads = array<i64: 1, 1>} : (tensor<3x4xf32>) -> tensor<5x4xf32>
  return
}

// -----

func.func @pad_crop(%a: tensor<3x4xf32>) {
  // expected-error @+2 {{pads remove more than the 3 elements of dimension 0}}
  // expected-error @+1 {{'qc.pad' op failed to infer returned types}}
  %0 = qc.pad %a {pads = array<i64: -2, 0, -2, 0>} : (tensor<3x4xf32>) -> tensor<0x4xf32>
  return
}

// -----

func.func @pad_fill_mode(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{a fill value needs mode constant, not edge}}
  %0 = qc.pad %a {mode = #qc.pad_mode<edge>, pads = array<i64: 1, 0, 0, 0>, value = 1.0 : f32} : (tensor<3x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @pad_fill_type(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{fill value type 'i64' differs from the element type 'f32'}}
  %0 = qc.pad %a {pads = array<i64: 1, 0, 0, 0>, value = 1 : i64} : (tensor<3x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @pad_empty(%a: tensor<0x4xf32>) {
  // expected-error @+1 {{mode reflect cannot pad the empty dimension 0}}
  %0 = qc.pad %a {mode = #qc.pad_mode<reflect>, pads = array<i64: 1, 0, 0, 0>} : (tensor<0x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @dynamic_pad_count(%a: tensor<3x4xf32>, %p: tensor<2xi64>) {
  // expected-error @+1 {{pads has 2 elements, expected 2 x rank = 4}}
  %0 = qc.dynamic_pad %a, %p : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_pad_rank(%a: tensor<3x4xf32>, %p: tensor<4xi64>) {
  // expected-error @+1 {{result rank 1 differs from the input rank 2}}
  %0 = qc.dynamic_pad %a, %p : (tensor<3x4xf32>, tensor<4xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_pad_fill_mode(%a: tensor<3x4xf32>, %p: tensor<4xi64>, %v: tensor<f32>) {
  // expected-error @+1 {{a fill value needs mode constant, not wrap}}
  %0 = qc.dynamic_pad %a, %p, %v {mode = #qc.pad_mode<wrap>} : (tensor<3x4xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_pad_fill_type(%a: tensor<3x4xf32>, %p: tensor<4xi64>, %v: tensor<1xf32>) {
  // expected-error @+1 {{the fill must be a 0-d tensor of 'f32', got 'tensor<1xf32>'}}
  %0 = qc.dynamic_pad %a, %p, %v : (tensor<3x4xf32>, tensor<4xi64>, tensor<1xf32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @gather_nd_batch_dims(%d: tensor<2x3xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+2 {{batch_dims 2 must be in [0, min(data rank, indices rank))}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather_nd %d, %i {batch_dims = 2 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_batch_mismatch(%d: tensor<2x3xf32>, %i: tensor<3x1xi64>) {
  // expected-error @+2 {{batch dim 0 is 2 in data but 3 in indices}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_rank0_indices(%d: tensor<2x3xf32>, %i: tensor<i64>) {
  // expected-error @+2 {{indices must have rank >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather_nd %d, %i : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_nd_dynamic_tuple(%d: tensor<2x3xf32>, %i: tensor<4x?xi64>) {
  // expected-error @+2 {{the last dim of indices (the index tuple's length) must be static}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather_nd %d, %i : (tensor<2x3xf32>, tensor<4x?xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_nd_long_tuple(%d: tensor<2x3xf32>, %i: tensor<4x3xi64>) {
  // expected-error @+2 {{index tuples of length 3 do not fit: 1 to 2 dims of data}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather_nd %d, %i : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_updates_type(%d: tensor<2x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x3xi64>) {
  // expected-error @+1 {{'qc.scatter_nd' op updates have element type 'i64', data 'f32'}}
  %0 = qc.scatter_nd %d, %i, %u : (tensor<2x3xf32>, tensor<4x1xi64>, tensor<4x3xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_nd_updates_shape(%d: tensor<2x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x2xf32>) {
  // expected-error @+1 {{'qc.scatter_nd' op updates must be indices.shape[:-1] + data.shape[1:] = 4x3, got 4x2}}
  %0 = qc.scatter_nd %d, %i, %u : (tensor<2x3xf32>, tensor<4x1xi64>, tensor<4x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_nd_tuple(%d: tensor<2x3xf32>, %i: tensor<4x3xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{index tuples of length 3 do not fit: 1 to 2 dims of data}}
  %0 = qc.scatter_nd %d, %i, %u : (tensor<2x3xf32>, tensor<4x3xi64>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_axis(%d: tensor<2x3xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xf32>) {
  // expected-error @+1 {{axis 2 is out of range [0, 2)}}
  %0 = qc.scatter_elements %d, %i, %u {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>, tensor<2x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_rank(%d: tensor<2x3xf32>, %i: tensor<4xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{'qc.scatter_elements' op indices rank 1 differs from the data rank 2}}
  %0 = qc.scatter_elements %d, %i, %u {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4xi64>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_updates_type(%d: tensor<2x3xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xf16>) {
  // expected-error @+1 {{'qc.scatter_elements' op updates have element type 'f16', data 'f32'}}
  %0 = qc.scatter_elements %d, %i, %u {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>, tensor<2x2xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_updates_shape(%d: tensor<2x3xf32>, %i: tensor<2x2xi64>, %u: tensor<2x1xf32>) {
  // expected-error @+1 {{'qc.scatter_elements' op updates shape 2x1 differs from the indices' 2x2}}
  %0 = qc.scatter_elements %d, %i, %u {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @non_zero_rows(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'qc.non_zero' op inferred type(s) 'tensor<2x?xi64>' are incompatible with return type(s) of operation 'tensor<3x?xi64>'}}
  // expected-error @+1 {{'qc.non_zero' op failed to infer returned types}}
  %0 = qc.non_zero %x : (tensor<3x4xf32>) -> tensor<3x?xi64>
  return
}
