"""Model compression: a distilled student, a structurally pruned model and an int8 ONNX model,
each made from the fine-tuned classifier (the teacher) and measured against it."""
