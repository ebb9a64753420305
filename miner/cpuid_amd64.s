//go:build amd64 && !purego

#include "textflag.h"

// func cpuid7EBX() uint32
TEXT ·cpuid7EBX(SB), NOSPLIT, $0-4
	MOVL $7, AX
	XORL CX, CX
	CPUID
	MOVL BX, ret+0(FP)
	RET

// func maxCPUIDLeaf() uint32
TEXT ·maxCPUIDLeaf(SB), NOSPLIT, $0-4
	XORL AX, AX
	XORL CX, CX
	CPUID
	MOVL AX, ret+0(FP)
	RET
