/** Zero-dependency renderings of tools for model APIs, and helpers that answer a model's tool calls. */
export * from './anthropic.ts';
export * from './openai.ts';
export * from './run-tool-call.ts';
export * from './tool-source.ts';
export * from './vercel-ai.ts';
