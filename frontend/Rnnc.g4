// Rnnc.g4 - grammar of the rnnc model DSL (ANTLR 4).
//
// A file holds one `model` (dimensions, params, states, one `step`) and an
// optional `train` block. Newlines are not significant; `;` is optional.
// Names are checked by sema, not here: input kinds (`onehot`, `token`),
// initialisers, functions and train settings are plain identifiers so that a
// misspelling gets a located "unknown ..." error instead of a syntax error.
// Every character the lexer does not know becomes BAD_CHAR, reported by the
// front end with its location (the lexer itself never reports).
grammar Rnnc;

program   : (model | train)* EOF ;

model     : 'model' name=ID '(' (modelArg (',' modelArg)*)? ')' '{' member* close='}' ;
modelArg  : name=ID ':' kind=ID          # vocabArg
          | name=ID '=' value=NUMBER     # intDimArg
          ;

member    : 'param' name=ID ':' shape ('=' expr)? ';'?   # paramDecl
          | 'state' name=ID ':' shape ('=' expr)? ';'?   # stateDecl
          | 'step' '(' input=ID ':' kind=ID '[' vocab=dim ']' ')'
            ('->' shape)? '{' stmt* close='}'             # stepDecl
          ;

shape     : '[' (expr (',' expr)*)? ']' ;   // integer expressions of dims
dim       : ID | NUMBER ;

stmt      : 'let' name=ID '=' expr ';'?   # letStmt
          | name=ID '=' expr ';'?         # assignStmt
          | 'return' expr ';'?            # returnStmt
          ;

train     : 'train' '{' trainItem* '}' ;
trainItem : key=ID '=' expr ';'? ;

expr      : '(' expr ')'                             # parenExpr
          | callee=ID '(' (arg (',' arg)*)? ')'      # callExpr
          | ID                                       # nameExpr
          | NUMBER                                   # numberExpr
          | '-' expr                                 # negExpr
          | expr op=('*' | '/' | '@') expr           # mulExpr
          | expr op=('+' | '-') expr                 # addExpr
          ;
arg       : (key=ID '=')? expr ;

NUMBER    : DIGIT+ ('.' DIGIT*)? EXPONENT? | '.' DIGIT+ EXPONENT? ;
ID        : [a-zA-Z_] [a-zA-Z_0-9]* ;
COMMENT   : '#' ~[\r\n]* -> skip ;
WS        : [ \t\r\n\f]+ -> skip ;
BAD_CHAR  : . ;

fragment DIGIT    : [0-9] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;
