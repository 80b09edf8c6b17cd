/* The default control mapping, analyze/controls.json, built into rbaudit. */
	.section .rodata
	.global rb_controls_json
	.type rb_controls_json, @object
rb_controls_json:
	.incbin "analyze/controls.json"
	.byte 0
	.size rb_controls_json, . - rb_controls_json
	.section .note.GNU-stack,"",@progbits
