/** @file The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto3, MIT) graft reads and writes, as a protobufjs JSON descriptor.
 *
 * Field numbers and types are copied from onnx.proto3; only the messages and fields graft uses
 * are listed (unknown fields in models made elsewhere are skipped by the decoder). Names are
 * camelCase, the protobufjs convention; the wire format depends only on the numbers. Repeated
 * numeric fields are packed, as proto3 makes them.
 */
const f = (type: string, id: number, rule?: "repeated") => (rule ? { type, id, rule } : { type, id });

export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: f("string", 1), docString: f("string", 13), type: f("int32", 20),
            f: f("float", 2), i: f("int64", 3), s: f("bytes", 4), t: f("TensorProto", 5), g: f("GraphProto", 6),
            floats: f("float", 7, "repeated"), ints: f("int64", 8, "repeated"), strings: f("bytes", 9, "repeated"),
          },
        },
        ValueInfoProto: { fields: { name: f("string", 1), type: f("TypeProto", 2), docString: f("string", 3) } },
        NodeProto: {
          fields: {
            input: f("string", 1, "repeated"), output: f("string", 2, "repeated"), name: f("string", 3), opType: f("string", 4),
            domain: f("string", 7), attribute: f("AttributeProto", 5, "repeated"), docString: f("string", 6),
          },
        },
        ModelProto: {
          fields: {
            irVersion: f("int64", 1), opsetImport: f("OperatorSetIdProto", 8, "repeated"), producerName: f("string", 2),
            producerVersion: f("string", 3), domain: f("string", 4), modelVersion: f("int64", 5), docString: f("string", 6),
            graph: f("GraphProto", 7), metadataProps: f("StringStringEntryProto", 14, "repeated"),
          },
        },
        StringStringEntryProto: { fields: { key: f("string", 1), value: f("string", 2) } },
        GraphProto: {
          fields: {
            node: f("NodeProto", 1, "repeated"), name: f("string", 2), initializer: f("TensorProto", 5, "repeated"),
            docString: f("string", 10), input: f("ValueInfoProto", 11, "repeated"), output: f("ValueInfoProto", 12, "repeated"),
            valueInfo: f("ValueInfoProto", 13, "repeated"),
          },
        },
        TensorProto: {
          fields: {
            dims: f("int64", 1, "repeated"), dataType: f("int32", 2), floatData: f("float", 4, "repeated"), int32Data: f("int32", 5, "repeated"),
            int64Data: f("int64", 7, "repeated"), name: f("string", 8), docString: f("string", 12), rawData: f("bytes", 9),
            doubleData: f("double", 10, "repeated"),
          },
        },
        TensorShapeProto: {
          fields: { dim: f("Dimension", 1, "repeated") },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: { dimValue: f("int64", 1), dimParam: f("string", 2), denotation: f("string", 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensorType"] } },
          fields: { tensorType: f("Tensor", 1), denotation: f("string", 6) },
          nested: { Tensor: { fields: { elemType: f("int32", 1), shape: f("TensorShapeProto", 2) } } },
        },
        OperatorSetIdProto: { fields: { domain: f("string", 1), version: f("int64", 2) } },
      },
    },
  },
} as const;

/** AttributeProto.AttributeType codes. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
/** TensorProto.DataType codes graft uses (INT64 for shapes and indices). */
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
